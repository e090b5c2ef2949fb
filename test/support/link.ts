// A database behind the bench's modeled link (bench/proxy.mjs), for tests that need a run to take its
// time where it matters: the readers still at work when a test looks for one, the writer waiting.
import { startProxy } from '../../bench/proxy.mjs';
import type { TestDb } from './pg.js';

/** `db`'s URL through a link of `bytesPerSecond` each way, and how to close the link. */
export async function behindSlowLink(
  db: TestDb,
  bytesPerSecond: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const proxy = await startProxy({ target: { host: '127.0.0.1', port: db.server.port }, bytesPerSecond, latencyMs: 1 });
  return { url: db.url.replace(`:${db.server.port}/`, `:${proxy.port}/`), close: () => proxy.close() };
}

/** `fn` run with `db`'s URL through such a link, closed afterwards whatever `fn` did. */
export async function throughSlowLink<T>(
  db: TestDb,
  bytesPerSecond: number,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const link = await behindSlowLink(db, bytesPerSecond);
  try {
    return await fn(link.url);
  } finally {
    await link.close();
  }
}
