// Undo: a committed migration taken back from the journal and backups it left on the target, verified;
// a run that did not commit leaves neither; a cancelled or refused undo changes nothing.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import {
  CancelledError,
  LockTimeoutError,
  UsageError,
  dropBackups,
  history,
  migrate,
  planMigration,
  runReport,
  undo,
} from '../src/engine/index.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { headline, journaledResult, statusCounts, undoText } from '../src/shared/report.js';
import { reviewLines } from '../src/vscode/review.js';
import { TestDb, type TestServer, directions, runCli } from './support/pg.js';

const [from, to] = directions()[0];

const DDL = `CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE tasks (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, project int REFERENCES projects,
                      title text, done boolean, upper_title text GENERATED ALWAYS AS (upper(title)) STORED);
  CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := NEW.title || '!'; RETURN NEW; END $$;
  CREATE TRIGGER shout BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION shout();`;

async function pair(): Promise<{ src: TestDb; tgt: TestDb }> {
  const src = await TestDb.create(from, 'usrc');
  const tgt = await TestDb.create(to, 'utgt');
  await src.sql(`${DDL}
    INSERT INTO projects (name) SELECT 'new ' || g FROM generate_series(1, 20) g;
    INSERT INTO tasks (project, title, done) SELECT 1 + g % 20, E'new\\ntask "' || g || '"', g % 2 = 0 FROM generate_series(1, 50) g;`);
  // Ids far from the source's, so append does not collide with them.
  await tgt.sql(`${DDL} ALTER SEQUENCE projects_id_seq RESTART 1001; ALTER TABLE tasks ALTER id RESTART 5001;
    INSERT INTO projects (name) SELECT 'old ' || g FROM generate_series(1, 12) g;
    INSERT INTO tasks (project, title, done) SELECT 1001 + g % 12, 'old ' || g, NULL FROM generate_series(1, 388) g;
    DELETE FROM tasks WHERE id % 7 = 0; SELECT nextval('projects_id_seq');`);
  return { src, tgt };
}

/** Every table's content and every sequence's state: equal only when byte-identical. */
async function state(db: TestDb) {
  const seqs = await db.sql(
    `SELECT (SELECT row(last_value, is_called)::text FROM projects_id_seq) AS p,
            (SELECT row(last_value, is_called)::text FROM tasks_id_seq) AS t`,
  );
  return { projects: await db.fingerprint('projects'), tasks: await db.fingerprint('tasks'), seqs };
}

const journalTables = (db: TestDb) =>
  db.sql(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'archon'`);

describe('undo', () => {
  for (const existing of ['replace', 'append'] as const) {
    it(`${existing}, then undo: the tables and sequences are byte-identical to before`, async () => {
      const { src, tgt } = await pair();
      const before = await state(tgt);
      const report = await migrate({ source: src.url, target: tgt.url, existing });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(report.undo?.possible, true);
      assert.match(report.undo!.runId!, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
      assert.notDeepEqual(await state(tgt), before);
      assert.match(toMarkdown(report), new RegExp(`- \\*\\*Undo\\*\\*: undoable: run ${report.undo!.runId}`));
      // A row added and removed again moves the sequence but leaves the rows as the run left them.
      await tgt.sql(
        `INSERT INTO projects (name) VALUES ('made after'); DELETE FROM projects WHERE name = 'made after'`,
      );
      const result = await undo({ target: tgt.url });
      assert.equal(result.undone, true);
      assert.equal(result.runId, report.undo!.runId);
      assert.deepEqual(await state(tgt), before);
      const runs = await history({ target: tgt.url });
      assert.equal(runs[0].undoable, false);
      assert.match(runs[0].why!, /^undone at /);
    });
  }

  it('undo of a skip-nonempty run empties exactly the tables it loaded', async () => {
    const { src, tgt } = await pair();
    await tgt.sql('ALTER TABLE tasks DROP CONSTRAINT tasks_project_fkey; TRUNCATE tasks');
    await tgt.sql('CREATE TABLE notes (id int PRIMARY KEY)');
    await src.sql('CREATE TABLE notes (id int PRIMARY KEY); INSERT INTO notes VALUES (1), (2)');
    const projects = await tgt.fingerprint('projects');
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'skip-nonempty' });
    assert.equal(report.committed, true, JSON.stringify(report.tables));
    assert.equal(await tgt.count('tasks'), 50);
    assert.equal(await tgt.count('notes'), 2);
    // Nothing was backed up (the tables were empty): history still lists the run, with no backup size.
    const [listed] = await history({ target: tgt.url });
    assert.deepEqual([listed.id, listed.backupBytes], [report.undo!.runId, 0]);
    // It committed, but left a table out: history says what its report said, not "verified".
    assert.equal(report.outcome, 'not verified');
    assert.equal(
      journaledResult(listed.outcome, listed.summary),
      `committed, outcome not verified: ${statusCounts(report.summary, report.checks)}`,
    );
    assert.match(journaledResult(listed.outcome, listed.summary), /: 2 verified by count and content, 1 skipped$/);
    const result = await undo({ target: tgt.url, run: report.undo!.runId! });
    assert.deepEqual(result.tables.map((t) => t.table).sort(), ['notes', 'tasks']);
    assert.equal(await tgt.count('tasks'), 0);
    assert.equal(await tgt.count('notes'), 0);
    assert.deepEqual(await tgt.fingerprint('projects'), projects, 'the skipped table was left alone');
  });

  for (const [fromServer, toServer] of directions())
    it(`history says which names matched nothing and names tables as reports do, PostgreSQL ${fromServer.major} → ${toServer.major}`, async () => {
      const src = await TestDb.create(fromServer, 'usrc');
      const tgt = await TestDb.create(toServer, 'utgt');
      const ddl = `CREATE TABLE selfr (id int PRIMARY KEY, up int REFERENCES selfr); CREATE TABLE "We ird.Tab le""x" (id int);`;
      await src.sql(`${ddl} INSERT INTO selfr VALUES (1, NULL), (2, 1); INSERT INTO "We ird.Tab le""x" VALUES (7);`);
      await tgt.sql(ddl);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { tables: ['selfr', 'public."We ird.Tab le""x"', 'nosuch'] },
      });
      assert.equal(report.committed, true, JSON.stringify(report.tables));
      assert.deepEqual(report.unmatched, ['nosuch']);
      const [listed] = await history({ target: tgt.url });
      assert.match(
        journaledResult(listed.outcome, listed.summary, listed.unmatched),
        /^committed, outcome not verified: 2 verified by count and content; 1 name matched nothing: nosuch$/,
      );
      assert.deepEqual([...listed.tables].sort(), ['public."We ird.Tab le""x"', 'public.selfr']);
    });

  it('what the run created goes again: created tables, their schema and types, added columns', async () => {
    const src = await TestDb.create(from, 'usrc');
    const tgt = await TestDb.create(to, 'utgt');
    await src.sql(`CREATE SCHEMA crm; CREATE TYPE crm.mood AS ENUM ('ok', 'sad');
      CREATE TYPE crm.pair AS (a crm.mood, b int);
      CREATE TABLE crm.people (id serial PRIMARY KEY, name text, m crm.mood, p crm.pair);
      CREATE TABLE crm.notes (id int PRIMARY KEY, person int REFERENCES crm.people, body text);
      CREATE TABLE wide (id int PRIMARY KEY, a text, added text DEFAULT 'x');
      INSERT INTO crm.people (name, m, p) VALUES ('ann', 'ok', ROW('sad', 2)), ('bob', 'sad', NULL);
      INSERT INTO crm.notes VALUES (1, 1, 'hi'); INSERT INTO wide VALUES (1, 'new', 'n');`);
    await tgt.sql(`CREATE TABLE wide (id int PRIMARY KEY, a text); INSERT INTO wide VALUES (7, 'old');
      CREATE TABLE other (id int); CREATE TYPE kept AS ENUM ('x');`);
    const before = await tgt.fingerprint('wide');
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, addColumns: true });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    assert.equal(await tgt.count('crm.people'), 2);
    // Something made since that depends on a created table: a clear refusal, nothing changed.
    await tgt.sql('CREATE VIEW people_view AS SELECT * FROM crm.people');
    const blocked = runCli(['undo', '--target', tgt.url, '--yes']);
    assert.equal(blocked.code, 2);
    assert.match(blocked.stderr, /other objects depend on its tables: .*view people_view depends on table crm\.people/);
    assert.match(blocked.stderr, /Rolled back, nothing changed/);
    assert.doesNotMatch(blocked.stderr, /unexpected error|\n\s+at /);
    assert.equal(await tgt.count('crm.people'), 2);
    await tgt.sql('DROP VIEW people_view');
    // A created table someone dropped since: a change (refused), and --force takes the rest back.
    await tgt.sql('DROP TABLE crm.notes');
    const refused = runCli(['undo', '--target', tgt.url, '--yes']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /crm\.notes \(dropped since, though the run created it\) changed since the run/);
    const undone = runCli(['undo', '--target', tgt.url, '--yes', '--force']);
    assert.equal(undone.code, 0, undone.stderr);
    assert.match(undone.stdout, /crm\.people: 2 row\(s\) now → dropped \(the run created it\)/);
    assert.match(undone.stdout, /crm\.notes: 0 row\(s\) now → already dropped \(the run created it\)/);
    assert.match(undone.stdout, /public\.wide: 1 row\(s\) now → 1 row\(s\) restored; column\(s\) added dropped/);
    const [left] = await tgt.sql(`SELECT to_regclass('crm.people') AS people, to_regclass('crm.notes') AS notes,
      to_regtype('crm.mood') AS mood, to_regtype('crm.pair') AS pair,
      (SELECT count(*)::int FROM pg_namespace WHERE nspname = 'crm') AS crm,
      to_regclass('other') IS NOT NULL AS other, to_regtype('kept') IS NOT NULL AS kept`);
    assert.deepEqual(left, { people: null, notes: null, mood: null, pair: null, crm: 0, other: true, kept: true });
    assert.deepEqual(await tgt.fingerprint('wide'), before, 'the table it widened is as it was, columns and rows');
  });

  it('what the run created and someone dropped since is a change; --force takes the rest back', async () => {
    const src = await TestDb.create(from, 'usrc');
    const tgt = await TestDb.create(to, 'utgt');
    await src.sql(`CREATE SCHEMA crm; CREATE TYPE crm.mood AS ENUM ('ok'); CREATE TABLE crm.people (id int PRIMARY KEY, m crm.mood);
      CREATE TABLE wide (id int PRIMARY KEY, a text, added text); INSERT INTO crm.people VALUES (1, 'ok');
      INSERT INTO wide VALUES (1, 'new', 'n');`);
    await tgt.sql(`CREATE TABLE wide (id int PRIMARY KEY, a text); INSERT INTO wide VALUES (7, 'old');`);
    const before = await tgt.fingerprint('wide');
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, addColumns: true });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql('DROP SCHEMA crm CASCADE; ALTER TABLE wide DROP COLUMN added');
    await assert.rejects(undo({ target: tgt.url }), /changed since the run/);
    const forced = await undo({ target: tgt.url, force: true });
    assert.equal(forced.undone, true);
    assert.deepEqual(await tgt.fingerprint('wide'), before);
  });

  it('a type the run created that something else uses now is kept, and undo says so', async () => {
    const src = await TestDb.create(from, 'usrc');
    const tgt = await TestDb.create(to, 'utgt');
    await src.sql(`CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE feel (id int PRIMARY KEY, m mood);
      INSERT INTO feel VALUES (1, 'ok');`);
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql(`CREATE TABLE mine (m mood)`);
    const result = await undo({ target: tgt.url });
    assert.deepEqual(result.kept, [{ object: 'type "public"."mood"', usedBy: ['table public.mine'], backupsOf: [] }]);
    const [left] = await tgt.sql(`SELECT to_regclass('feel') AS feel, to_regtype('mood')::text AS mood`);
    assert.deepEqual(left, { feel: null, mood: 'mood' });
  });

  it('sequences the run created for defaults go again (kept when used since); moved ones go back unless shared', async () => {
    const src = await TestDb.create(from, 'usrc');
    const tgt = await TestDb.create(to, 'utgt');
    // Pagila's habit: sequences of their own, called by defaults, owned by no column.
    await src.sql(`CREATE SEQUENCE shared_seq; CREATE SEQUENCE lone_seq; CREATE SEQUENCE used_seq; CREATE SEQUENCE old_seq;
      CREATE TABLE a (id int DEFAULT nextval('shared_seq') PRIMARY KEY); CREATE TABLE b (id int DEFAULT nextval('shared_seq') PRIMARY KEY);
      CREATE TABLE c (id int DEFAULT nextval('lone_seq') PRIMARY KEY, u int DEFAULT nextval('used_seq'));
      CREATE TABLE old (id int DEFAULT nextval('old_seq') PRIMARY KEY);
      INSERT INTO a SELECT FROM generate_series(1, 3); INSERT INTO b SELECT FROM generate_series(1, 4);
      INSERT INTO c SELECT FROM generate_series(1, 5); INSERT INTO old SELECT FROM generate_series(1, 6);`);
    // On the target, old exists already and shares old_seq with a table the run does not touch.
    await tgt.sql(`CREATE SEQUENCE old_seq; CREATE TABLE old (id int DEFAULT nextval('old_seq') PRIMARY KEY);
      CREATE TABLE elsewhere (id int DEFAULT nextval('old_seq') PRIMARY KEY); INSERT INTO old SELECT FROM generate_series(1, 2);`);
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    const created = report.tables.flatMap((t) => t.ddl ?? []).filter((s) => s.startsWith('CREATE SEQUENCE'));
    assert.equal(created.length, 3, created.join('\n'));
    await tgt.sql(`CREATE TABLE mine (id int DEFAULT nextval('used_seq'))`);
    const result = await undo({ target: tgt.url });
    assert.deepEqual(result.kept, [
      { object: 'sequence "public"."used_seq"', usedBy: ['default value for public.mine.id'], backupsOf: [] },
    ]);
    const [left] = await tgt.sql(`SELECT to_regclass('shared_seq') AS shared, to_regclass('lone_seq') AS lone,
      to_regclass('used_seq')::text AS used, to_regclass('a') AS a, (SELECT count(*)::int FROM old) AS old`);
    assert.deepEqual(left, { shared: null, lone: null, used: 'used_seq', a: null, old: 2 });
    // old_seq is shared with elsewhere: undo leaves it past the copied ids (set back, it could collide there).
    assert.deepEqual(await tgt.sql(`SELECT last_value::int AS v FROM old_seq`), [{ v: 7 }]);
    assert.deepEqual(result.tables.find((t) => t.table === 'old')!.sequences, []);
  });

  it("a sequence only the run's tables call goes back to where it was, owned or not", async () => {
    const src = await TestDb.create(from, 'usrc');
    const tgt = await TestDb.create(to, 'utgt');
    const ddl = `CREATE SEQUENCE note_seq; CREATE TABLE note (id int DEFAULT nextval('note_seq') PRIMARY KEY);`;
    await src.sql(`${ddl} INSERT INTO note SELECT FROM generate_series(1, 40);`);
    await tgt.sql(`${ddl} INSERT INTO note SELECT FROM generate_series(1, 3);`);
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    assert.deepEqual(await tgt.sql(`SELECT last_value::int AS v, is_called FROM note_seq`), [
      { v: 41, is_called: false },
    ]);
    const result = await undo({ target: tgt.url });
    assert.deepEqual(result.tables[0].sequences, ['public.note_seq']);
    assert.deepEqual(await tgt.sql(`SELECT last_value::int AS v, is_called FROM note_seq`), [
      { v: 3, is_called: true },
    ]);
  });

  it('a row changed after the run: undo refuses naming the table, --force restores', async () => {
    const { src, tgt } = await pair();
    const before = await state(tgt);
    const report = await migrate({ source: src.url, target: tgt.url });
    await tgt.sql(`UPDATE tasks SET title = 'edited' WHERE id = 3`);
    const changed = await state(tgt);
    await assert.rejects(
      undo({ target: tgt.url }),
      (e: Error) =>
        e instanceof UsageError &&
        /public\.tasks \(50 row\(s\) now\) changed since the run/.test(e.message) &&
        !/--force/.test(e.message) &&
        e.remedy?.kind === 'force-undo',
    );
    const cli = runCli(['undo', '--target', tgt.url, '--yes']);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /changed since the run;.*Nothing changed\. \(pass --force to restore anyway\)/);
    assert.deepEqual(await state(tgt), changed, 'a refused undo changed nothing');
    const forced = await undo({ target: tgt.url, force: true });
    assert.equal(forced.runId, report.undo!.runId);
    assert.equal(forced.forced, true);
    assert.deepEqual(await state(tgt), before);
  });

  it('a column added since the run holds changes too: refused; a column dropped since: a clear refusal', async () => {
    const { src, tgt } = await pair();
    await migrate({ source: src.url, target: tgt.url });
    await tgt.sql(`ALTER TABLE tasks ADD COLUMN note text; UPDATE tasks SET note = 'precious' WHERE id < 10`);
    await assert.rejects(undo({ target: tgt.url }), /public\.tasks \(50 row\(s\) now\) changed since the run/);
    assert.equal((await tgt.sql(`SELECT count(note)::int AS n FROM tasks`))[0].n, 9, 'nothing changed');
    await tgt.sql('ALTER TABLE tasks DROP COLUMN done');
    await assert.rejects(
      undo({ target: tgt.url, force: true }),
      (e: Error) => e instanceof UsageError && /public\.tasks no longer has column\(s\) done/.test(e.message),
    );
  });

  it('a failed or a cancelled migration leaves no journal entry and no backup table', async () => {
    const { src, tgt } = await pair();
    await tgt.sql(`ALTER TABLE tasks ADD CONSTRAINT no_seven CHECK (title NOT LIKE '%"7"%')`);
    const failed = await migrate({ source: src.url, target: tgt.url });
    assert.equal(failed.committed, false);
    assert.equal(failed.undo ?? null, null);
    assert.deepEqual(await journalTables(tgt), []);
    await tgt.sql('ALTER TABLE tasks DROP CONSTRAINT no_seven');
    const controller = new AbortController();
    const cancelled = await migrate({
      source: src.url,
      target: tgt.url,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'table-done') controller.abort();
      },
    });
    assert.equal(cancelled.outcome, 'cancelled');
    assert.deepEqual(await journalTables(tgt), []);
  });

  it('a cancelled undo leaves the target as it was before the undo', async () => {
    const { src, tgt } = await pair();
    await migrate({ source: src.url, target: tgt.url });
    const after = await state(tgt);
    const controller = new AbortController();
    await assert.rejects(
      undo({
        target: tgt.url,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'phase' && e.message.startsWith('restoring')) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.deepEqual(await state(tgt), after);
    assert.equal((await history({ target: tgt.url }))[0].undoable, true);
  });

  it('bad input: no journal, an unknown run, a run already undone, a locked table; nothing changes', async () => {
    const { src, tgt } = await pair();
    await assert.rejects(undo({ target: tgt.url }), /no Archon journal on postgres@127\.0\.0\.1/);
    const report = await migrate({ source: src.url, target: tgt.url });
    await assert.rejects(undo({ target: tgt.url, run: 'nope' }), /no run "nope" in the journal/);
    const holder = new pg.Client({ connectionString: tgt.url });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE tasks IN ACCESS SHARE MODE');
    try {
      await assert.rejects(undo({ target: tgt.url, lockTimeoutMs: 500 }), LockTimeoutError);
    } finally {
      await holder.end();
    }
    const role = `nobody_${tgt.name}`;
    await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'nobody-pw'`);
    const nobody = tgt.url.replace(/\/\/[^@]+@/, `//${role}:nobody-pw@`);
    await assert.rejects(
      undo({ target: nobody }),
      (e: Error) =>
        e instanceof UsageError && new RegExp(`${role} may not do this .*; nothing changed`).test(e.message),
    );
    await undo({ target: tgt.url, run: report.undo!.runId! });
    await assert.rejects(
      undo({ target: tgt.url, run: report.undo!.runId! }),
      new RegExp(`run ${report.undo!.runId} was already undone at`),
    );
    await assert.rejects(undo({ target: tgt.url }), /no run on .* can be undone/);
  });

  it('the plan states what is kept; --no-backup and a user who may not create the schema turn undo off', async () => {
    const { src, tgt } = await pair();
    const planned = await planMigration({ source: src.url, target: tgt.url });
    assert.deepEqual(
      planned.undo.kept.map((k) => [k.table, k.rows]),
      [
        ['projects', 12],
        ['tasks', 333],
      ],
    );
    assert.match(
      reviewLines(planned, 'cloud', 'local').find((l) => l.kind === 'undo')!.label,
      /Undo possible: the 12 rows now in public\.projects, the 333 rows now in public\.tasks are kept \(about .*\)/,
    );
    const off = await planMigration({ source: src.url, target: tgt.url, backup: false });
    assert.match(off.undo.reason!, /no backup/);
    assert.match(reviewLines(off, 'cloud', 'local').find((l) => l.kind === 'undo')!.label, /cannot be undone/);
    const role = `plain_${tgt.name}`;
    // Neither superuser nor owner, this user could not silence the trigger: not what is tested here.
    await tgt.sql('DROP TRIGGER shout ON tasks');
    await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'plain-pw'; REVOKE CREATE ON DATABASE ${tgt.name} FROM PUBLIC;
      GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role};`);
    const plain = tgt.url.replace(/\/\/[^@]+@/, `//${role}:plain-pw@`);
    const denied = await migrate({ source: src.url, target: plain });
    assert.equal(denied.outcome, 'verified', JSON.stringify(denied.tables));
    assert.match(denied.undo!.reason!, new RegExp(`${role} may not create the schema "archon"`));
    assert.deepEqual(await journalTables(tgt), []);
  });

  it('backups drop: a run whose backups are dropped is no longer undoable', async () => {
    const { src, tgt } = await pair();
    const report = await migrate({ source: src.url, target: tgt.url });
    const runs = await history({ target: tgt.url });
    assert.ok(runs[0].backupBytes > 0);
    assert.deepEqual((await dropBackups({ target: tgt.url, olderThanMs: 7 * 86400_000 })).runs, []);
    const dropped = await dropBackups({ target: tgt.url, run: report.undo!.runId! });
    assert.equal(dropped.tables, 2);
    assert.deepEqual(
      (await journalTables(tgt)).filter((r) => r.relname.startsWith('backup_')),
      [],
    );
    await assert.rejects(undo({ target: tgt.url, run: report.undo!.runId! }), /its backups were dropped/);
  });

  it('CLI: migrate names the run, history lists it, undo takes it back; bad input exits 2 with nothing changed', async () => {
    const { src, tgt } = await pair();
    const before = await state(tgt);
    const plan = runCli(['plan', '--source', src.url, '--target', tgt.url]);
    assert.match(plan.stdout, /KEEP {2}the 333 row\(s\) now in public\.tasks; undo restores them/);
    const migrated = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes']);
    assert.equal(migrated.code, 0, migrated.stderr);
    const id = /Undo: archon undo (\S+) --target URL/.exec(migrated.stdout)![1];
    const listed = runCli(['history', '--target', tgt.url]);
    assert.match(
      listed.stdout,
      new RegExp(
        `${id} .* replace {2}from .*\\n {4}committed, outcome verified: 2 verified by count and content\\n[\\s\\S]*undoable \\(archon undo ${id}`,
      ),
    );
    for (const bad of [
      ['undo', 'nope'],
      ['backups', 'drop'],
      ['backups', 'drop', '--older-than', 'week'],
    ]) {
      const r = runCli([...bad, '--target', tgt.url, '--yes']);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
    }
    // Dropping backups cannot be taken back: without a terminal it needs --yes, like any write.
    const unasked = runCli(['backups', 'drop', '--older-than', '0d', '--target', tgt.url]);
    assert.equal(unasked.code, 2);
    assert.match(unasked.stderr, /refusing to drop backups without confirmation/);
    const tooOld = runCli(['backups', 'drop', '--older-than', '99999999999d', '--target', tgt.url, '--yes']);
    assert.equal(tooOld.code, 2);
    assert.match(tooOld.stderr, /more than a century/);
    const undone = runCli(['undo', '--target', tgt.url, '--yes']);
    assert.equal(undone.code, 0, undone.stderr);
    assert.match(
      undone.stdout,
      /public\.tasks: 50 row\(s\) now → 333 row\(s\) restored; sequence\(s\) public\.tasks_id_seq reset/,
    );
    assert.match(undone.stdout, new RegExp(`Undone: run ${id}`));
    assert.deepEqual(await state(tgt), before);
    const again = runCli(['undo', id, '--target', tgt.url, '--yes']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /was already undone/);
    const unknown = runCli(['undo', '20990101-000000-zzzz', '--target', tgt.url, '--yes']);
    assert.match(unknown.stderr, /no run "20990101-000000-zzzz" in the journal .* \(archon history lists the runs\)/);
    for (const out of [plan, migrated, listed, undone, again])
      assert.ok(!`${out.stdout}${out.stderr}`.includes(to.password));
  });
});

/** Everything a database holds outside the system schemas and Archon's journal, for "as empty as it was". */
const userCatalog = (db: TestDb) =>
  db.sql(`WITH ns AS (SELECT oid, nspname FROM pg_namespace
                       WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'archon') AND nspname NOT LIKE 'pg\\_%')
    SELECT 'schema ' || nspname AS o FROM ns
    UNION ALL SELECT 'relation ' || nspname || '.' || relname FROM pg_class JOIN ns ON ns.oid = relnamespace
    UNION ALL SELECT 'type ' || nspname || '.' || typname FROM pg_type JOIN ns ON ns.oid = typnamespace
    UNION ALL SELECT 'extension ' || extname FROM pg_extension
    ORDER BY 1`);

/** The journal schema holds the journal and nothing else (no backup, no type). */
const journalOnly = async (db: TestDb) => {
  const rows = await db.sql(`SELECT relname FROM pg_class WHERE relnamespace = 'archon'::regnamespace AND relkind = 'r'
    ORDER BY 1`);
  assert.deepEqual(
    rows.map((r) => r.relname),
    ['run_tables', 'runs'],
  );
};

const CREATED = `CREATE EXTENSION citext; CREATE SCHEMA crm; CREATE TYPE crm.mood AS ENUM ('ok', 'sad');
  CREATE DOMAIN crm.word AS text CHECK (VALUE <> ''); CREATE SEQUENCE crm.tickets;
  CREATE TABLE crm.people (id serial PRIMARY KEY, m crm.mood, w crm.word, e citext, ms crm.mood[],
                           n int GENERATED ALWAYS AS IDENTITY, ticket bigint DEFAULT nextval('crm.tickets'));
  INSERT INTO crm.people (m, w, e, ms) VALUES ('ok', 'ann', 'Ann', '{ok,sad}'), ('sad', 'bob', 'BOB', NULL);`;

/** Run A creates everything on an empty target; run B replaces the same rows, so its backup holds A's types. */
async function createdThenReplaced(from: TestServer, to: TestServer) {
  const src = await TestDb.create(from, 'usrc');
  const tgt = await TestDb.create(to, 'utgt');
  await src.sql(CREATED);
  const empty = await userCatalog(tgt);
  const a = await migrate({ source: src.url, target: tgt.url, createMissing: true });
  assert.equal(a.outcome, 'verified', JSON.stringify(a.tables));
  const b = await migrate({ source: src.url, target: tgt.url });
  assert.equal(b.outcome, 'verified', JSON.stringify(b.tables));
  const backups = await journalTables(tgt);
  assert.equal(backups.filter((r) => r.relname.startsWith(`backup_${b.undo!.runId}`)).length, 1);
  return { src, tgt, empty, a: a.undo!.runId!, b: b.undo!.runId! };
}

/**
 * Run A creates crm.people with its types; the user makes crm.extra with them, and run B replaces
 * its rows (B's backup holds A's types); then the user moves crm.extra off them. Only B's backup
 * holds them now, and B can still be undone (forced: its table changed).
 */
async function heldByLaterBackup(from: TestServer, to: TestServer) {
  const src = await TestDb.create(from, 'usrc');
  const tgt = await TestDb.create(to, 'utgt');
  const extra = 'CREATE TABLE crm.extra (id int PRIMARY KEY, m crm.mood, w crm.word, e citext)';
  await src.sql(`${CREATED} ${extra}; INSERT INTO crm.extra VALUES (1, 'ok', 'new', 'New')`);
  const empty = await userCatalog(tgt);
  const a = await migrate({
    source: src.url,
    target: tgt.url,
    createMissing: true,
    selection: { tables: ['crm.people'] },
  });
  assert.equal(a.outcome, 'verified', JSON.stringify(a.tables));
  await tgt.sql(`${extra}; INSERT INTO crm.extra VALUES (1, 'sad', 'mine', 'Mine')`);
  const b = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['crm.extra'] } });
  assert.equal(b.outcome, 'verified', JSON.stringify(b.tables));
  await tgt.sql('ALTER TABLE crm.extra ALTER m TYPE text, ALTER w TYPE text, ALTER e TYPE text');
  return { tgt, empty, a: a.undo!.runId!, b: b.undo!.runId! };
}

const kept = (b: string, object: string) =>
  `Kept ${object}, though the run created it: the backup of run ${b}, which can still be undone, holds it; dropping that run's backups drops it too`;

describe("undo and Archon's own backups", () => {
  for (const [from, to] of directions()) {
    const dir = `${from.major}→${to.major}`;

    it(`${dir}: undo B then undo A leaves the empty target as empty as it was (the journal aside)`, async () => {
      const { tgt, empty, a, b } = await createdThenReplaced(from, to);
      const undoneB = await undo({ target: tgt.url });
      assert.equal(undoneB.runId, b);
      // B restored from its backup and verified against it: it needs it no more.
      assert.deepEqual(
        (await journalTables(tgt)).filter((r) => r.relname.startsWith('backup_')),
        [],
      );
      const listed = await history({ target: tgt.url });
      assert.deepEqual(
        listed.map((r) => [r.id, r.backupBytes]),
        [
          [b, 0],
          [a, 0],
        ],
      );
      const undoneA = await undo({ target: tgt.url });
      assert.equal(undoneA.runId, a);
      assert.deepEqual(undoneA.kept, []);
      assert.deepEqual(await userCatalog(tgt), empty);
      await journalOnly(tgt);
      // Nothing left to drop: it says so, rather than counting backups the undo took.
      const dropped = await dropBackups({ target: tgt.url, run: b });
      assert.deepEqual([dropped.tables, dropped.bytes, dropped.objects], [0, 0, []]);
    });

    it(`${dir}: undo A while B, which loaded A's table, can still be undone: refused; after backups drop B, all goes`, async () => {
      const { tgt, empty, a, b } = await createdThenReplaced(from, to);
      const before = await userCatalog(tgt);
      // Undoing A drops the table B loaded: B could never be undone after it, whatever A kept.
      const refused = runCli(['undo', a, '--target', tgt.url, '--yes']);
      assert.equal(refused.code, 2);
      assert.ok(
        refused.stderr.includes(
          `refusing to undo run ${a}: run ${b}, which came after it and can still be undone, loaded crm.people, ` +
            `which run ${a} created; undo would drop it, and run ${b} could not be undone any more. Undo run ${b} ` +
            `first, or drop its backups (archon backups drop ${b}). Nothing changed.`,
        ),
        refused.stderr,
      );
      assert.deepEqual(await userCatalog(tgt), before);
      assert.equal(await tgt.count('crm.people'), 2);
      const dropped = runCli(['backups', 'drop', b, '--target', tgt.url, '--yes']);
      assert.equal(dropped.code, 0, dropped.stderr);
      const undone = await undo({ target: tgt.url, run: a });
      assert.deepEqual(undone.kept, []);
      assert.deepEqual(await userCatalog(tgt), empty);
      await journalOnly(tgt);
    });

    it(`${dir}: what only the backup of a later run that can still be undone holds is kept and said; backups drop drops it`, async () => {
      const { tgt, a, b, empty } = await heldByLaterBackup(from, to);
      const undone = runCli(['undo', a, '--target', tgt.url, '--yes']);
      assert.equal(undone.code, 0, undone.stderr);
      assert.match(undone.stdout, /crm\.people: 2 row\(s\) now → dropped \(the run created it\)/);
      for (const o of ['type "crm"."mood"', 'domain "crm"."word"', 'extension "citext"'])
        assert.ok(undone.stdout.includes(`${kept(b, o)}\n`), `${o}:\n${undone.stdout}`);
      // The schema holds the user's table: that keeps it, whatever the backups.
      assert.match(
        undone.stdout,
        /Kept schema "crm", though the run created it: other objects use it now \(table crm\.extra\)\n/,
      );
      // The journal remembers what only the backups hold, and history says it.
      const [row] = await tgt.sql('SELECT kept_for_backups AS k FROM archon.runs WHERE id = $1', [a]);
      assert.deepEqual(row.k.map((k: { object: string; backupsOf: string[] }) => [k.object, k.backupsOf]).sort(), [
        ['domain "crm"."word"', [b]],
        ['extension "citext"', [b]],
        ['type "crm"."mood"', [b]],
      ]);
      const listed = await history({ target: tgt.url });
      assert.match(
        listed.find((r) => r.id === a)!.why!,
        new RegExp(
          `^undone at .*; kept .*type "crm"."mood".*, which it created, until the backups of run ${b} are dropped$`,
        ),
      );
      const dropped = runCli(['backups', 'drop', b, '--target', tgt.url, '--yes']);
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.match(dropped.stdout, /Dropped 1 backup table\(s\) of 1 run\(s\)/);
      assert.match(
        dropped.stdout,
        /\nDropped with them what undone runs kept only for those backups: domain "crm"\."word", type "crm"\."mood", extension "citext"\.\n/,
      );
      await tgt.sql('DROP TABLE crm.extra; DROP SCHEMA crm');
      assert.deepEqual(await userCatalog(tgt), empty);
      await journalOnly(tgt);
      const [after] = await tgt.sql('SELECT kept_for_backups AS k FROM archon.runs WHERE id = $1', [a]);
      assert.deepEqual(after.k, []);
    });
  }

  it('undo of the later run drops, with its backups, what an undone run kept for them', async () => {
    const [from, to] = directions()[1];
    const { tgt, a, b } = await heldByLaterBackup(from, to);
    await undo({ target: tgt.url, run: a });
    // B can still be undone: its table changed (forced), and its backup goes back into it.
    const undoneB = await undo({ target: tgt.url, run: b, force: true });
    assert.deepEqual(await tgt.sql('SELECT id, m, w, e FROM crm.extra ORDER BY id'), [
      { id: 1, m: 'sad', w: 'mine', e: 'Mine' },
    ]);
    const [left] = await tgt.sql(`SELECT to_regtype('crm.mood') AS mood, to_regtype('crm.word') AS word,
      (SELECT count(*)::int FROM pg_extension WHERE extname = 'citext') AS citext`);
    assert.deepEqual(left, { mood: null, word: null, citext: 0 });
    assert.deepEqual(undoneB.droppedForBackups, ['domain "crm"."word"', 'type "crm"."mood"', 'extension "citext"']);
    await journalOnly(tgt);
  });

  it('a kept object a user object uses stays kept, naming it; backups drop leaves it', async () => {
    const [from, to] = directions()[0];
    const { tgt, a, b } = await heldByLaterBackup(from, to);
    await tgt.sql('CREATE TABLE mine (m crm.mood)');
    const undone = runCli(['undo', a, '--target', tgt.url, '--yes']);
    assert.equal(undone.code, 0, undone.stderr);
    assert.match(
      undone.stdout,
      /Kept type "crm"\."mood", though the run created it: other objects use it now \(table public\.mine\)\n/,
    );
    assert.ok(undone.stdout.includes(kept(b, 'domain "crm"."word"')), undone.stdout);
    const dropped = await dropBackups({ target: tgt.url, run: b });
    assert.deepEqual(dropped.objects, ['domain "crm"."word"', 'extension "citext"']);
    assert.equal((await tgt.sql(`SELECT to_regtype('crm.mood')::text AS t`))[0].t, 'crm.mood');
  });

  it('backups an older Archon left behind: of an undone run, dropped by undo; kept unrecorded, dropped by backups drop', async () => {
    const [from, to] = directions()[1];
    // B undone by an Archon that kept its backups: they hold A's types, and count for nothing.
    const first = await createdThenReplaced(from, to);
    await first.tgt.sql('UPDATE archon.runs SET undone_at = now() WHERE id = $1', [first.b]);
    const undone = await undo({ target: first.tgt.url, run: first.a });
    assert.deepEqual(undone.kept, []);
    assert.deepEqual(await userCatalog(first.tgt), first.empty);
    await journalOnly(first.tgt);
    // A undone by an Archon that recorded nothing (a journal without the column): backups drop still finds them.
    const second = await heldByLaterBackup(from, to);
    await undo({ target: second.tgt.url, run: second.a });
    await second.tgt.sql('ALTER TABLE archon.runs DROP COLUMN kept_for_backups');
    const dropped = await dropBackups({ target: second.tgt.url, run: second.b });
    assert.deepEqual(dropped.objects, ['domain "crm"."word"', 'type "crm"."mood"', 'extension "citext"']);
    await second.tgt.sql('DROP TABLE crm.extra; DROP SCHEMA crm');
    assert.deepEqual(await userCatalog(second.tgt), second.empty);
    await journalOnly(second.tgt);
  });
});

// Acceptance found it: undo of an append into archon_projects, which archon_project_sources (not in the
// run) references, failed on TRUNCATE although nothing pointed at the appended rows.
const REFERENCED = `CREATE TABLE archon_projects (id int PRIMARY KEY, name text NOT NULL, note text);`;
const SOURCES = `CREATE TABLE archon_project_sources (id serial PRIMARY KEY,
  project int REFERENCES archon_projects ON DELETE CASCADE, url text)`;

async function referencedPair(source: TestServer, target: TestServer, targetIds: string) {
  const src = await TestDb.create(source, 'usrc');
  const tgt = await TestDb.create(target, 'utgt');
  await src.sql(`${REFERENCED} INSERT INTO archon_projects SELECT g, 'new ' || g, NULL FROM generate_series(1, 20) g`);
  await tgt.sql(`${REFERENCED} INSERT INTO archon_projects SELECT g, 'old ' || g, 'kept' FROM ${targetIds} g`);
  return { src, tgt };
}

const bothTables = async (db: TestDb) => ({
  projects: await db.fingerprint('archon_projects'),
  sources: await db.fingerprint('archon_project_sources'),
});

describe('undo of a table that a table outside the run references', () => {
  for (const [source, target] of directions()) {
    const dir = `PostgreSQL ${source.major} → ${target.major}`;

    it(`append, then undo: the appended rows go, the kept ones and their references stay, ${dir}`, async () => {
      const { src, tgt } = await referencedPair(source, target, 'generate_series(1001, 1012)');
      await tgt.sql(`${SOURCES}; INSERT INTO archon_project_sources (project, url)
        SELECT 1001 + g % 12, 'https://example.com/' || g FROM generate_series(1, 30) g`);
      const before = await bothTables(tgt);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        selection: { tables: ['archon_projects'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(await tgt.count('archon_projects'), 32);
      const result = await undo({ target: tgt.url });
      assert.equal(result.undone, true);
      assert.deepEqual(result.tables[0].referencedBy, [
        'public.archon_project_sources (archon_project_sources_project_fkey)',
      ]);
      assert.deepEqual(await bothTables(tgt), before);
      const ids = await tgt.sql('SELECT min(id)::int AS lo, max(id)::int AS hi FROM archon_projects');
      assert.deepEqual(ids, [{ lo: 1001, hi: 1012 }]);
    });

    it(`a row made since points at an appended row: refused, naming it; nothing changed, ${dir}`, async () => {
      const { src, tgt } = await referencedPair(source, target, 'generate_series(1001, 1012)');
      await tgt.sql(`${SOURCES}; INSERT INTO archon_project_sources (project, url) VALUES (1001, 'old')`);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        selection: { tables: ['archon_projects'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      await tgt.sql(`INSERT INTO archon_project_sources (project, url) VALUES (5, 'a'), (7, 'b'), (1002, 'c')`);
      const before = await bothTables(tgt);
      await assert.rejects(
        undo({ target: tgt.url }),
        (e: Error) =>
          e instanceof UsageError &&
          e.message ===
            `refusing to undo run ${report.undo!.runId}: rows outside the run point at rows that undo would remove: ` +
              'in public.archon_project_sources, row id=2 (project=5), row id=3 (project=7) reference ' +
              'public.archon_projects (constraint archon_project_sources_project_fkey). Delete those rows or point ' +
              'them elsewhere, then undo again. Nothing changed.',
      );
      assert.deepEqual(await bothTables(tgt), before);
      const [listed] = await history({ target: tgt.url });
      assert.equal(listed.undoable, true);
      // Once they point elsewhere, the same undo goes through.
      await tgt.sql('UPDATE archon_project_sources SET project = 1003 WHERE project < 1000');
      assert.equal((await undo({ target: tgt.url })).undone, true);
      assert.equal(await tgt.count('archon_projects'), 12);
    });

    it(`replace, then a table made since references it; undo sets the rows back in place, ${dir}`, async () => {
      // Ids 1-12 on both sides: rows the backup holds too keep their key and get their old values.
      const { src, tgt } = await referencedPair(source, target, 'generate_series(1, 12)');
      const projects = await tgt.fingerprint('archon_projects');
      const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['archon_projects'] } });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      await tgt.sql(
        `${SOURCES}; INSERT INTO archon_project_sources (project, url) VALUES (3, 'a'), (12, 'b'), (NULL, 'c')`,
      );
      const sources = await tgt.fingerprint('archon_project_sources');
      const result = await undo({ target: tgt.url });
      assert.equal(result.undone, true);
      assert.deepEqual(await tgt.fingerprint('archon_projects'), projects);
      assert.deepEqual(await tgt.fingerprint('archon_project_sources'), sources);
    });

    it(`a table kept from emptying only by another restored in place, undone by their owner with every foreign key enforced, ${dir}`, async () => {
      const { src, tgt } = await referencedPair(source, target, 'generate_series(1001, 1003)');
      const tasks =
        'CREATE TABLE archon_tasks (id int PRIMARY KEY, project int REFERENCES archon_projects, title text)';
      await src.sql(`${tasks}; INSERT INTO archon_tasks SELECT g, 1 + g % 20, 'new' FROM generate_series(1, 40) g`);
      const role = `own_${tgt.name}`;
      // Not a superuser: undo cannot switch foreign keys off (replica mode), so its order must keep them.
      await tgt.sql(`${tasks}; INSERT INTO archon_tasks SELECT g, 1001 + g % 3, 'old' FROM generate_series(5001, 5003) g;
        CREATE TABLE task_notes (task int REFERENCES archon_tasks); INSERT INTO task_notes VALUES (5002);
        CREATE ROLE ${role} LOGIN PASSWORD 'owner-pw'; GRANT CREATE ON DATABASE ${tgt.name} TO ${role};
        ALTER TABLE archon_projects OWNER TO ${role}; ALTER TABLE archon_tasks OWNER TO ${role}`);
      const owner = tgt.url.replace(/\/\/[^@]+@/, `//${role}:owner-pw@`);
      // Only task_notes is outside the run; archon_tasks, restored in place for it, keeps archon_projects from emptying.
      const both = async () => [await tgt.fingerprint('archon_projects'), await tgt.fingerprint('archon_tasks')];
      const before = await both();
      const report = await migrate({
        source: src.url,
        target: owner,
        existing: 'append',
        selection: { tables: ['archon_projects', 'archon_tasks'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      // Rows it may not read could point at rows undo removes: said, nothing changed.
      await assert.rejects(
        undo({ target: owner }),
        (e: Error) =>
          e instanceof UsageError &&
          /^undo must read public\.task_notes, whose foreign key task_notes_task_fkey references public\.archon_tasks, .* grant SELECT on it, or undo as its owner\. Nothing changed\.$/.test(
            e.message,
          ),
      );
      await tgt.sql(`GRANT SELECT ON task_notes TO ${role}`);
      const result = await undo({ target: owner });
      assert.equal(result.undone, true);
      assert.deepEqual(
        result.tables.map((t) => [t.table, t.referencedBy]),
        [
          ['archon_projects', ['public.archon_tasks (archon_tasks_project_fkey)']],
          ['archon_tasks', ['public.task_notes (task_notes_task_fkey)']],
        ],
      );
      assert.deepEqual(await both(), before);
      assert.equal(await tgt.count('task_notes'), 1);
    });

    it(`a partitioned table referenced from outside: its appended rows go from every partition, ${dir}`, async () => {
      const src = await TestDb.create(source, 'usrc');
      const tgt = await TestDb.create(target, 'utgt');
      const ddl = `CREATE TABLE events (id int, region text, note text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
        CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
        CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')`;
      await src.sql(
        `${ddl}; INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'new' FROM generate_series(1, 10) g`,
      );
      await tgt.sql(`${ddl}; INSERT INTO events VALUES (101, 'eu', 'old'), (102, 'us', 'old');
        CREATE TABLE event_refs (id int, region text, FOREIGN KEY (id, region) REFERENCES events);
        INSERT INTO event_refs VALUES (101, 'eu'), (102, 'us')`);
      const before = await tgt.fingerprint('events');
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        selection: { tables: ['events'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      await tgt.sql(`INSERT INTO event_refs VALUES (4, 'eu')`);
      await assert.rejects(
        undo({ target: tgt.url }),
        /in public\.event_refs, row id=4, region=eu reference public\.events \(constraint event_refs_id_region_fkey\)/,
      );
      await tgt.sql(`DELETE FROM event_refs WHERE id = 4`);
      assert.equal((await undo({ target: tgt.url })).undone, true);
      assert.deepEqual(await tgt.fingerprint('events'), before);
      assert.equal(await tgt.count('event_refs'), 2);
    });

    it(`a referenced table without a NOT NULL key: only the copies the run added go, ${dir}`, async () => {
      const src = await TestDb.create(source, 'usrc');
      const tgt = await TestDb.create(target, 'utgt');
      const ddl = 'CREATE TABLE tags (name text UNIQUE, n int)';
      await src.sql(`${ddl}; INSERT INTO tags VALUES ('b', 2), (NULL, 1), (NULL, 1)`);
      await tgt.sql(`${ddl}; INSERT INTO tags VALUES ('a', 1), (NULL, 1), (NULL, 1);
        CREATE TABLE tag_uses (tag text REFERENCES tags (name)); INSERT INTO tag_uses VALUES ('a')`);
      const before = await tgt.fingerprint('tags');
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        selection: { tables: ['tags'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(await tgt.count('tags'), 6);
      assert.equal((await undo({ target: tgt.url })).undone, true);
      assert.deepEqual(await tgt.fingerprint('tags'), before);
      assert.equal(await tgt.count('tag_uses'), 1);
    });
  }
});

describe('an undone run is marked UNDONE everywhere, at the one time the journal recorded', () => {
  for (const [source, target] of directions()) {
    const dir = `PostgreSQL ${source.major} → ${target.major}`;

    it(`its kept report, history, the CLI's history and undo say UNDONE at the same time, ${dir}`, async () => {
      const { src, tgt } = await referencedPair(source, target, 'generate_series(1001, 1003)');
      await tgt.sql(SOURCES);
      const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      const id = report.undo!.runId!;
      // The journal keeps the report as the run returned it.
      assert.deepEqual(await runReport({ target: tgt.url, run: id }), JSON.parse(JSON.stringify(report)));
      const folder = mkdtempSync(join(tmpdir(), 'archon-undo-'));
      const json = join(folder, 'undo.json');
      const cli = runCli(['undo', id, '--target', tgt.url, '--yes', '--report', json]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(
        cli.stdout,
        /public\.archon_projects: 23 row\(s\) now → 3 row\(s\) restored; in place, since public\.archon_project_sources \(archon_project_sources_project_fkey\) reference\(s\) it/,
      );
      const [listed] = await history({ target: tgt.url });
      const at = listed.undoneAt!;
      assert.match(at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.match(cli.stdout, new RegExp(`Undone: run ${id} at ${at};`));
      // The undo's own report gives the same time, and says the table was restored in place.
      const written = JSON.parse(readFileSync(json, 'utf8'));
      assert.equal(written.undoneAt, at);
      assert.deepEqual(written.tables[0].referencedBy, [
        'public.archon_project_sources (archon_project_sources_project_fkey)',
      ]);
      const undone = (await runReport({ target: tgt.url, run: id }))!;
      assert.deepEqual(undone.undone, { at });
      assert.equal(undoText(undone), `UNDONE at ${at}`);
      assert.match(headline(undone), new RegExp(`^UNDONE at ${at}: the target holds what it held before this run\\.`));
      const md = toMarkdown(undone);
      assert.match(md, /- \*\*Outcome\*\*: UNDONE \(the run's outcome: verified\) — UNDONE at /);
      assert.match(md, new RegExp(`> \\*\\*UNDONE at ${at}: this migration was taken back`));
      assert.doesNotMatch(md, /Changes committed to the target\./);
      const listedCli = runCli(['history', '--target', tgt.url]);
      assert.match(listedCli.stdout, new RegExp(`^${id} .* append {2}from .* {2}UNDONE at ${at}\\n`));
      assert.match(listedCli.stdout, new RegExp(`\\n {4}undo: undone at ${at}\\n`));
      assert.ok(!`${cli.stdout}${cli.stderr}${listedCli.stdout}`.includes(target.password));
    });
  }

  it('a journal an older Archon wrote keeps no reports: history says so, and nothing fails', async () => {
    const { src, tgt } = await referencedPair(from, to, 'generate_series(1001, 1003)');
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
    await tgt.sql('ALTER TABLE archon.runs DROP COLUMN report');
    const [listed] = await history({ target: tgt.url });
    assert.equal(listed.hasReport, false);
    assert.equal(await runReport({ target: tgt.url, run: report.undo!.runId! }), null);
    // The next run adds the column again, and keeps its report.
    const next = await migrate({ source: src.url, target: tgt.url, existing: 'replace' });
    assert.equal((await history({ target: tgt.url }))[0].hasReport, true);
    assert.equal((await runReport({ target: tgt.url, run: next.undo!.runId! }))?.existing, 'replace');
  });
});

for (const [a, b] of directions()) {
  describe(`undo of a run that created a table with a trigger, PostgreSQL ${a.major} → ${b.major}`, () => {
    it('says nothing of disabling its trigger "for the load": it drops the table', async () => {
      const src = await TestDb.create(a, 'utsrc');
      await src.sql(`CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1);
        CREATE TABLE made (id int PRIMARY KEY, at timestamptz);
        CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;
        CREATE TRIGGER stamped BEFORE INSERT ON made FOR EACH ROW EXECUTE FUNCTION stamp();
        ALTER TABLE made ENABLE ALWAYS TRIGGER stamped;
        INSERT INTO made VALUES (1, '2020-01-01');`);
      const tgt = await TestDb.create(b, 'uttgt');
      await tgt.sql(`CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (7);
        CREATE FUNCTION keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER kept_on BEFORE INSERT ON kept FOR EACH ROW EXECUTE FUNCTION keep();
        ALTER TABLE kept ENABLE ALWAYS TRIGGER kept_on;`);
      const run = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(run.outcome, 'verified', JSON.stringify(run.tables));
      const said: string[] = [];
      await undo({
        target: tgt.url,
        force: true,
        onProgress: (e) => {
          if (e.type === 'phase') said.push(e.message);
        },
      });
      assert.ok(!said.some((m) => /disabling trigger stamped/.test(m)), said.join('\n'));
      // ALWAYS triggers fire even in replica mode: the table it refills still has its own silenced.
      assert.ok(
        said.some((m) => /disabling trigger kept_on on public\.kept/.test(m)),
        said.join('\n'),
      );
      assert.deepEqual(await tgt.sql(`SELECT to_regclass('public.made') AS r`), [{ r: null }]);
      assert.deepEqual(await tgt.sql('SELECT id FROM kept'), [{ id: 7 }]);
    });
  });
}

describe('undo names what the run created besides its tables', () => {
  const [from, to] = directions()[0];

  it('the preview lists the views, functions and schemas it will drop, and the result, the JSON and Markdown those it dropped', async () => {
    const src = await TestDb.create(from, 'uosrc');
    await src.sql(`CREATE SCHEMA crm; CREATE TABLE crm.people (id int PRIMARY KEY, name text);
      INSERT INTO crm.people VALUES (1, 'ada'), (2, 'bo');
      CREATE VIEW crm.names AS SELECT name FROM crm.people;
      CREATE FUNCTION crm.shout(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(t) $$;`);
    const tgt = await TestDb.create(to, 'uotgt');
    const migrated = runCli([
      'migrate',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--yes',
      '--create-missing',
      '--create-objects',
    ]);
    assert.equal(migrated.code, 0, migrated.stderr);
    const dir = mkdtempSync(join(tmpdir(), 'archon-test-undo-'));
    const undone = runCli([
      'undo',
      '--target',
      tgt.url,
      '--yes',
      '--report',
      join(dir, 'u.json'),
      '--markdown',
      join(dir, 'u.md'),
    ]);
    assert.equal(undone.code, 0, undone.stderr);
    const objects = ['view "crm"."names"', 'function crm.shout(text)', 'schema "crm"'];
    const preview = /and what the run created, each unless something uses it now: (.*)\n/.exec(undone.stdout);
    assert.ok(preview, undone.stdout);
    for (const o of objects) assert.ok(preview[1].includes(o), `${o} in the preview: ${preview[1]}`);
    const done = /Dropped what the run created: (.*)\n/.exec(undone.stdout);
    assert.ok(done, undone.stdout);
    const report = JSON.parse(readFileSync(join(dir, 'u.json'), 'utf8'));
    assert.deepEqual(report.objectsDropped, done[1].split(', '));
    for (const o of objects) assert.ok(report.objectsDropped.includes(o), `${o} in ${report.objectsDropped}`);
    assert.match(readFileSync(join(dir, 'u.md'), 'utf8'), /Dropped.*what the run created: .*view "crm"\."names"/);
    assert.deepEqual(
      await tgt.sql(`SELECT to_regnamespace('crm') AS s, to_regclass('crm.names') AS v, to_regproc('crm.shout') AS f`),
      [{ s: null, v: null, f: null }],
    );
  });
});
