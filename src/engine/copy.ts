import type pg from 'pg';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident, qualified } from './ident.js';
import type { TablePlan } from './plan.js';
import { relationSql } from './relation.js';

export interface CopyResult {
  /** Rows the source sent, from its COPY command tag. */
  sent: number;
  /** Rows the target accepted, from its COPY command tag. */
  received: number;
  bytes: number;
}

/**
 * Streams one table from source to target: COPY TO STDOUT piped into COPY FROM STDIN. Bytes go
 * socket to socket with stream back-pressure; the only JavaScript on the path counts bytes per
 * chunk (64 kB), so memory stays flat whatever the table's size.
 */
export async function copyTable(
  source: pg.Client,
  target: pg.Client,
  plan: TablePlan,
  onBytes: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<CopyResult> {
  const cols = plan.columns.map(ident).join(', ');
  const options = plan.format === 'binary' ? ' (FORMAT binary)' : '';
  // A partitioned target routes the rows into its partitions.
  const out = source.query(copyTo(`COPY (SELECT ${cols} FROM ${relationSql(plan.source)}) TO STDOUT${options}`));
  const into = target.query(copyFrom(`COPY ${qualified(plan.schema, plan.table)} (${cols}) FROM STDIN${options}`));
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  await pipeline(out, counter, into, signal ? { signal } : {});
  return { sent: out.rowCount, received: into.rowCount, bytes };
}
