// A cancel during planning, wherever it lands: after each of the plan's round trips in turn (a
// statement of the DDL trial, a catalog read, the one after a cancelled one in the same transaction),
// the run ends as a cancel, never as an unexpected error, and nothing reached the target.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { CancelledError, migrate } from '../src/engine/index.js';
import { TestDb, directions } from './support/pg.js';

const SOURCE = `
  CREATE SCHEMA util;
  CREATE FUNCTION util.is_pos(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > 0 $$;
  CREATE DOMAIN public.posint AS int CHECK (util.is_pos(VALUE));
  CREATE TABLE public.items (id int PRIMARY KEY, qty posint DEFAULT 1);
  INSERT INTO public.items SELECT g, g FROM generate_series(1, 50) g;
  CREATE TABLE public.lines (id int PRIMARY KEY, item int REFERENCES public.items, note text);
  INSERT INTO public.lines SELECT g, g, 'n' || g FROM generate_series(1, 50) g;
  CREATE VIEW public.big_items AS SELECT id FROM public.items WHERE qty > 10;`;

type Query = (...args: unknown[]) => unknown;
const proto = pg.Client.prototype as unknown as { query: Query };

/** Runs `fn` with every client's statements counted; `onSend` sees each count as the statement goes out. */
async function counting<T>(onSend: (n: number) => void, fn: () => Promise<T>): Promise<T> {
  const original = proto.query;
  let n = 0;
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    const sent = original.apply(this, args);
    onSend(++n);
    return sent;
  };
  try {
    return await fn();
  } finally {
    proto.query = original;
  }
}

/** What the target holds outside the catalogs: nothing, after a cancel. */
const leftOn = async (tgt: TestDb) =>
  (
    await tgt.sql(`SELECT n.nspname || '.' || c.relname AS r FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      UNION ALL SELECT nspname FROM pg_namespace WHERE nspname IN ('util', 'archon') ORDER BY 1`)
  ).map((r) => r.r);

for (const [from, to] of directions()) {
  describe(`a cancel during planning, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('ends as a cancel after any of the round trips, with nothing on the target', async () => {
      const src = await TestDb.create(from, 'pcsrc');
      await src.sql(SOURCE);
      const tgt = await TestDb.create(to, 'pctgt');
      const opts = { source: src.url, target: tgt.url, createMissing: true, createObjects: true };
      // How many statements a plan and run send, uncancelled, on a copy of the target.
      const probe = await TestDb.create(to, 'pcprobe');
      let total = 0;
      const done = await counting(
        (n) => {
          total = n;
        },
        () => migrate({ ...opts, target: probe.url, confirm: async () => false }),
      );
      assert.equal(done.outcome, 'cancelled');
      assert.ok(total > 20, `${total} statements`);
      const outcomes = new Map<string, number>();
      for (let at = 1; at <= total; at += Math.max(1, Math.floor(total / 40))) {
        const controller = new AbortController();
        const ended = await counting(
          (n) => {
            // Once the statement is on its way, so the cancel meets it at the server.
            if (n === at) setImmediate(() => controller.abort());
          },
          () =>
            migrate({ ...opts, signal: controller.signal, confirm: async () => !controller.signal.aborted }).then(
              (r) => `report ${r.outcome}`,
              (e) => (e instanceof CancelledError ? 'thrown CancelledError' : `thrown ${e?.stack ?? e}`),
            ),
        );
        assert.match(ended, /^(report cancelled|thrown CancelledError)$/, `cancelled after statement ${at}: ${ended}`);
        outcomes.set(ended, (outcomes.get(ended) ?? 0) + 1);
        assert.deepEqual(await leftOn(tgt), [], `cancelled after statement ${at}`);
      }
      assert.ok(outcomes.get('thrown CancelledError'), JSON.stringify([...outcomes]));
    });
  });
}
