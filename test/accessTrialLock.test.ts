// The plan's trial of the created tables' policies and grants (--create-objects) meets a lock it may
// not wait for: the run ends, as any lock timeout does, instead of leaving the policy out as "refused".
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { LockTimeoutError, migrate } from '../src/engine/index.js';
import { TestDb, directions } from './support/pg.js';

const MEMBERS = 'CREATE TABLE members (uid text PRIMARY KEY);';

for (const [from, to] of directions()) {
  describe(`the access trial under a lock, ${from.major} → ${to.major}`, () => {
    it('a lock timeout while a policy is tried ends the run: nothing is committed', async () => {
      const src = await TestDb.create(from, 'lsrc');
      const tgt = await TestDb.create(to, 'ltgt');
      // The policy reads members, which another session holds locked on the target.
      await src.sql(`${MEMBERS} CREATE TABLE docs (id int PRIMARY KEY); INSERT INTO docs VALUES (1);
        ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
        CREATE POLICY mine ON docs USING (EXISTS (SELECT 1 FROM members m WHERE m.uid = current_user));`);
      await tgt.sql(MEMBERS);
      const holder = new pg.Client(tgt.url);
      await holder.connect();
      try {
        await holder.query('BEGIN; LOCK TABLE members IN ACCESS EXCLUSIVE MODE');
        const run = migrate({
          source: src.url,
          target: tgt.url,
          createMissing: true,
          createObjects: true,
          selection: { tables: ['docs'] },
          lockTimeoutMs: 300,
        });
        await assert.rejects(run, LockTimeoutError);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      assert.equal((await tgt.sql(`SELECT to_regclass('public.docs') AS r`))[0].r, null);
    });
  });
}
