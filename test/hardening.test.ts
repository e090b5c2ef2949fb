// Never a false "verified": what a role cannot see, and what replica mode does not check.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compare, migrate, planMigration } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { startServer } from '../scripts/pg-servers.mjs';
import { TestDb, directions, withClient, pair } from './support/pg.js';

const byName = (r: Report, name: string): TableReport => r.tables.find((t) => t.table === name)!;
const [from, to] = directions()[0];

describe('row-level security', () => {
  it('a source role that sees only some rows is refused, naming who could see them all', async () => {
    const { src, tgt } = await pair(from, to);
    const role = `reader_${src.name}`;
    await src.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-pw';
      CREATE TABLE docs (id int PRIMARY KEY, owner text); CREATE TABLE open (id int PRIMARY KEY);
      INSERT INTO docs SELECT g, CASE WHEN g % 2 = 0 THEN '${role}' ELSE 'other' END FROM generate_series(1, 10) g;
      INSERT INTO open VALUES (1);
      ALTER TABLE docs ENABLE ROW LEVEL SECURITY; CREATE POLICY mine ON docs FOR SELECT USING (owner = current_user);
      GRANT SELECT ON docs, open TO ${role};`);
    await tgt.sql(`CREATE TABLE docs (id int PRIMARY KEY, owner text); CREATE TABLE open (id int PRIMARY KEY);`);
    const reader = src.url.replace(/\/\/[^@]+@/, `//${role}:reader-pw@`);
    const planned = await planMigration({ source: reader, target: tgt.url });
    const docs = planned.plan.tables.find((t) => t.table === 'docs')!;
    assert.equal(docs.action, 'skip');
    assert.equal(
      docs.reason,
      `row-level security on the source hides rows of this table from ${role}; connect as its owner postgres, a superuser, or a role with BYPASSRLS`,
    );
    const report = await migrate({ source: reader, target: tgt.url });
    assert.equal(byName(report, 'docs').status, 'skipped');
    assert.equal(byName(report, 'open').status, 'verified');
    assert.equal(await tgt.count('docs'), 0);
    const compared = await compare({ source: reader, target: tgt.url });
    assert.match(byName(compared, 'docs').reason!, /row-level security on the source hides rows/);
  });
});

describe('what replica mode does not check is checked after the load', () => {
  it('duplicates that a deferrable unique constraint forbids fail the run, naming the constraint and key', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE du (id int, email text); INSERT INTO du VALUES (1, 'a@x'), (2, 'a@x'), (3, 'b@x');`,
      target: `CREATE TABLE du (id int, email text, CONSTRAINT du_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED);
      INSERT INTO du VALUES (9, 'keep@x');`,
    });
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.committed, false);
    assert.equal(byName(report, 'du').status, 'failed');
    assert.match(
      byName(report, 'du').reason!,
      /duplicate key \(email\)=\(a@x\) breaks the deferrable unique constraint du_email_key/,
    );
    assert.deepEqual(await tgt.sql('SELECT id, email FROM du'), [{ id: 9, email: 'keep@x' }]);
  });

  it('deferrable NULLS NOT DISTINCT and exclusion constraints are checked too', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE dn (id int PRIMARY KEY, k int); INSERT INTO dn VALUES (1, NULL), (2, NULL);
      CREATE TABLE ex (id int PRIMARY KEY, r int4range); INSERT INTO ex VALUES (1, '[1,10)'), (2, '[5,15)');
      CREATE TABLE fine (id int PRIMARY KEY, r int4range); INSERT INTO fine VALUES (1, '[1,5)'), (2, '[5,15)');`,
      target: `CREATE TABLE dn (id int PRIMARY KEY, k int, CONSTRAINT dn_k UNIQUE NULLS NOT DISTINCT (k) DEFERRABLE);
      CREATE TABLE ex (id int PRIMARY KEY, r int4range, CONSTRAINT ex_r EXCLUDE USING gist (r WITH &&) DEFERRABLE INITIALLY DEFERRED);
      CREATE TABLE fine (id int PRIMARY KEY, r int4range, CONSTRAINT fine_r EXCLUDE USING gist (r WITH &&) DEFERRABLE);`,
    });
    const dn = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['dn'] } });
    assert.match(byName(dn, 'dn').reason!, /duplicate key \(k\)=\(null\) breaks the deferrable unique constraint dn_k/);
    const ex = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['ex'] } });
    assert.match(byName(ex, 'ex').reason!, /two rows conflict under the deferrable exclusion constraint ex_r/);
    const fine = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['fine'] } });
    assert.equal(fine.outcome, 'verified', JSON.stringify(fine.tables));
    assert.equal(await tgt.count('dn'), 0);
    assert.equal(await tgt.count('ex'), 0);
  });

  it('a MATCH FULL foreign key with NULL mixed into its columns fails the run', async () => {
    const ddl = `CREATE TABLE par (a int, b int, PRIMARY KEY (a, b)); CREATE TABLE chf (id int PRIMARY KEY, a int, b int);`;
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO chf VALUES (1, 1, NULL), (2, 1, 1);`,
      target: `ALTER TABLE chf ADD FOREIGN KEY (a, b) REFERENCES par MATCH FULL; INSERT INTO par VALUES (1, 1);`,
    });
    const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['chf'] } });
    assert.equal(byName(report, 'chf').status, 'failed');
    assert.match(
      byName(report, 'chf').reason!,
      /1 row\(s\) mix NULL and non-NULL values in foreign key chf_a_b_fkey \(MATCH FULL\)/,
    );
    assert.equal(await tgt.count('chf'), 0);
  });
});

describe('the same database by another way in', () => {
  it('over TCP and through a unix socket is refused before anything is read or written', async (t) => {
    const db = await TestDb.create(from, 'same');
    await db.sql('CREATE TABLE t (id int); INSERT INTO t VALUES (1);');
    const [{ dir }] = await db.sql(`SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS dir`);
    if (!dir) return t.skip('the server listens on no unix socket');
    const socketUrl = `postgresql://postgres:${encodeURIComponent(db.server.password)}@/${db.name}?host=${encodeURIComponent(dir)}&port=${db.server.port}`;
    await assert.rejects(() => migrate({ source: db.url, target: socketUrl }), /the same database/);
    assert.equal(await db.count('t'), 1);
  });

  it('a hot standby of the target is refused as the source (and as a target), yet may be compared', async () => {
    const primary = await startServer(to.major);
    try {
      const url = (port: number, db: string) =>
        `postgresql://postgres:${encodeURIComponent(primary.password)}@127.0.0.1:${port}/${db}?sslmode=disable`;
      const other = await TestDb.create(from, 'other');
      await other.sql('CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2);');
      await withClient(url(primary.port, 'postgres'), (c) => c.query('CREATE DATABASE kb').then(() => undefined));
      await withClient(url(primary.port, 'kb'), (c) =>
        c.query('CREATE TABLE t (id int); INSERT INTO t VALUES (7);').then(() => undefined),
      );
      const replica = await primary.standby();
      try {
        await assert.rejects(
          () => migrate({ source: url(replica.port, 'kb'), target: url(primary.port, 'kb') }),
          /the source postgres@127\.0\.0\.1:\d+\/kb is a hot standby \(physical replica\) of the target/,
        );
        await assert.rejects(
          () => planMigration({ source: url(replica.port, 'kb'), target: url(primary.port, 'kb') }),
          /hot standby/,
        );
        await assert.rejects(
          () => migrate({ source: other.url, target: url(replica.port, 'kb') }),
          /the target postgres@127\.0\.0\.1:\d+\/kb is a hot standby \(a read-only replica, in recovery\)/,
        );
        const [{ n }] = await withClient(
          url(primary.port, 'kb'),
          async (c) => (await c.query('SELECT count(*)::int AS n FROM t')).rows,
        );
        assert.equal(n, 1, 'the primary is untouched');
        // Checking a replica against its primary is a fair use of compare, which writes nothing.
        const compared = await compare({ source: url(replica.port, 'kb'), target: url(primary.port, 'kb') });
        assert.equal(compared.tables.find((x) => x.table === 't')?.status, 'verified');
        // A replica of some other server is a good source.
        const fromReplica = await migrate({ source: url(replica.port, 'kb'), target: other.url });
        assert.equal(fromReplica.outcome, 'verified', JSON.stringify(fromReplica.tables));
        assert.equal(await other.count('t'), 1);
      } finally {
        await replica.stop();
      }
    } finally {
      await primary.stop();
    }
  });
});

describe('triggers on the partitions of a target table', () => {
  it('are kept from firing during the load and restored, for a superuser and for a table owner', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE ev (id int, k int, v text); INSERT INTO ev SELECT g, g % 20, 'v' || g FROM generate_series(1, 40) g;`,
    });
    const role = `owner_${tgt.name}`;
    await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'owner-pw';
      CREATE TABLE ev (id int, k int, v text) PARTITION BY RANGE (k);
      CREATE TABLE ev_lo PARTITION OF ev FOR VALUES FROM (0) TO (10);
      CREATE TABLE ev_hi PARTITION OF ev FOR VALUES FROM (10) TO (20);
      CREATE TABLE audit (note text);
      CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := upper(NEW.v); RETURN NEW; END $$;
      CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES ('fired'); RETURN NULL; END $$;
      CREATE TRIGGER shout BEFORE INSERT ON ev_lo FOR EACH ROW EXECUTE FUNCTION shout();
      ALTER TABLE ev_lo ENABLE ALWAYS TRIGGER shout;
      CREATE TRIGGER note AFTER INSERT ON ev_hi FOR EACH ROW EXECUTE FUNCTION note();
      ALTER TABLE ev OWNER TO ${role}; ALTER TABLE ev_lo OWNER TO ${role}; ALTER TABLE ev_hi OWNER TO ${role};
      ALTER TABLE audit OWNER TO ${role};`);
    for (const url of [tgt.url, tgt.url.replace(/\/\/[^@]+@/, `//${role}:owner-pw@`)]) {
      const report = await migrate({ source: src.url, target: url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.deepEqual(await tgt.fingerprint('ev'), await src.fingerprint('ev'));
      assert.equal(await tgt.count('audit'), 0, 'the AFTER trigger on a partition did not fire');
    }
    assert.deepEqual(
      await tgt.sql(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgname IN ('shout', 'note') ORDER BY 1`),
      [
        { tgname: 'note', tgenabled: 'O' },
        { tgname: 'shout', tgenabled: 'A' },
      ],
    );
  });
});

describe('a lost connection is attributed', () => {
  it('the target backend terminated mid-copy: the reason says the target connection was lost', async () => {
    const ddl = 'CREATE TABLE big (id int PRIMARY KEY, body text);';
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO big SELECT g, repeat('x', 2000) FROM generate_series(1, 200000) g;`,
    });
    let killed = false;
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      onProgress: (e) => {
        if (e.type === 'table-progress' && !killed) {
          killed = true;
          void tgt.sql(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (target)' AND datname = current_database()`,
          );
        }
      },
    });
    assert.ok(killed);
    assert.equal(report.committed, false);
    assert.match(report.tables[0].reason!, /^the connection to the target was lost: /);
    assert.equal(await tgt.count('big'), 0);
  });
});

describe('the plan predicts what migrate can do', () => {
  it('a read-only target, and triggers the target user may not disable, are skipped up front', async () => {
    const ddl = 'CREATE TABLE t (id int PRIMARY KEY, v text);';
    const { src, tgt } = await pair(from, to, { source: `${ddl} INSERT INTO t VALUES (1, 'a');` });
    const role = `writer_${tgt.name}`;
    await tgt.sql(`${ddl} CREATE ROLE ${role} LOGIN PASSWORD 'writer-pw'; GRANT SELECT, INSERT, TRUNCATE ON t TO ${role};
      CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := 'touched'; RETURN NEW; END $$;
      CREATE TRIGGER touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();`);
    const writer = tgt.url.replace(/\/\/[^@]+@/, `//${role}:writer-pw@`);
    const planned = await planMigration({ source: src.url, target: writer });
    assert.equal(
      planned.plan.tables[0].reason,
      `its trigger touch would fire on the copied rows, and ${role} may not disable it (only the owner postgres or a superuser may)`,
    );
    await tgt.sql(`ALTER DATABASE ${tgt.name} SET default_transaction_read_only = on`);
    const readOnly = await planMigration({ source: src.url, target: tgt.url });
    assert.match(readOnly.plan.tables[0].reason!, /^the target is read-only/);
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.tables[0].status, 'skipped');
  });
});

describe('a trigger created on the target while the user reads the review', () => {
  it('is silenced like the others: it neither rewrites the rows nor fires elsewhere, and is restored', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE notes (id int PRIMARY KEY, v text); INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 20) g;`,
      target: `CREATE TABLE notes (id int PRIMARY KEY, v text); CREATE TABLE audit (note text);
      CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := upper(NEW.v); RETURN NEW; END $$;
      CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES ('fired'); RETURN NULL; END $$;`,
    });
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      confirm: async () => {
        await tgt.sql(`CREATE TRIGGER shout BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION shout();
          ALTER TABLE notes ENABLE ALWAYS TRIGGER shout;
          CREATE TRIGGER note AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION note();`);
        return true;
      },
    });
    assert.equal(byName(report, 'notes').status, 'verified', JSON.stringify(report.tables));
    assert.deepEqual(await tgt.fingerprint('notes'), await src.fingerprint('notes'));
    assert.equal(await tgt.count('audit'), 0, 'the AFTER trigger did not fire');
    assert.deepEqual(
      await tgt.sql(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgname IN ('shout', 'note') ORDER BY 1`),
      [
        { tgname: 'note', tgenabled: 'O' },
        { tgname: 'shout', tgenabled: 'A' },
      ],
    );
  });
});
