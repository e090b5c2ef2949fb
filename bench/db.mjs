// What both benchmarks ask of a server directly: one statement, and the size of a COPY's output.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

export async function sql(url, text) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** The bytes a COPY sends, counted as they arrive. */
export async function copySize(url, text) {
  const c = new pg.Client(url);
  await c.connect();
  let bytes = 0;
  try {
    const sink = new Writable({
      write(chunk, _e, done) {
        bytes += chunk.length;
        done();
      },
    });
    await pipeline(c.query(copyTo(text)), sink);
    return bytes;
  } finally {
    await c.end();
  }
}
