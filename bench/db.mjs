// What the benchmarks ask of a server directly (one statement, the size of a COPY's output), and a
// command timed to its end with its peak memory.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * Runs a command to the end; its peak resident memory comes from the kernel's own high-water mark,
 * sampled while it runs. `quiet` keeps what it says on stderr (returned) instead of showing it, for
 * runs that are expected to fail, and what it says on stdout too.
 */
export async function timed(command, args, { env = process.env, quiet = false } = {}) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', quiet ? 'pipe' : 'ignore', quiet ? 'pipe' : 'inherit'], env });
  let said = '';
  let out = '';
  child.stderr?.on('data', (d) => (said += d));
  child.stdout?.on('data', (d) => (out += d));
  let peakKb = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // The process has just ended.
    }
  }, 10);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  return { code, ms: performance.now() - started, peakMb: peakKb / 1024, stderr: said, stdout: out };
}
