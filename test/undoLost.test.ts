// An undo whose target connection is lost is reported as a lost connection, not as a crash, and
// changes nothing: the server rolls back its transaction.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConnectionError, migrate, undo } from '../src/engine/index.js';
import { TestDb, directions } from './support/pg.js';

for (const [from, to] of directions()) {
  describe(`undo that loses the target, ${from.major} → ${to.major}`, () => {
    it('the connection killed after the preview: a ConnectionError naming it, nothing changed', async () => {
      const src = await TestDb.create(from, 'ksrc');
      const tgt = await TestDb.create(to, 'ktgt');
      const ddl = 'CREATE TABLE vault (id int PRIMARY KEY, secret text);';
      await src.sql(`${ddl} INSERT INTO vault VALUES (1, 'new');`);
      await tgt.sql(`${ddl} INSERT INTO vault VALUES (7, 'old');`);
      assert.equal((await migrate({ source: src.url, target: tgt.url })).outcome, 'verified');
      const undoing = undo({
        target: tgt.url,
        confirm: async () => {
          await tgt.sql(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (target)' AND datname = current_database()`,
          );
          return true;
        },
      });
      await assert.rejects(undoing, (e: Error) => {
        assert.ok(e instanceof ConnectionError, String(e?.stack ?? e));
        assert.match(e.message, /^the connection to the target .* was lost during undo/);
        return true;
      });
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault'), [{ id: 1, secret: 'new' }]);
      assert.deepEqual(await tgt.sql('SELECT undone_at FROM archon.runs'), [{ undone_at: null }]);
    });
  });
}
