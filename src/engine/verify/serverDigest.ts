// The content digest computed where the rows are: the server hashes each row over the very bytes
// binary COPY would send for it (the field count, then each field's length and its type's send
// output, -1 for NULL), with SHA-256, and sums the hashes in SQL. Only a count and four sums cross
// the network, so reading a loaded table back costs a scan instead of a second transfer. The
// result equals what readDigest computes from the COPY stream, byte for byte by construction (and
// tested so); where the server cannot do it (before PostgreSQL 11, a type without a send function,
// a row over 1 GB), the caller reads the table with COPY instead.
import type pg from 'pg';
import { ContentDigest, type DigestRead, readDigest, whereSql } from './digest.js';
import { CancelledError } from '../errors.js';
import { SQLSTATE, connectionFailed, sqlStateOf } from '../sqlState.js';

/** Each selected value's send function, qualified for SQL; null when one type has none or sha256 is missing. */
async function sendFunctions(client: pg.Client, read: DigestRead): Promise<string[] | null> {
  const probe = await client.query(`SELECT ${read.select.join(', ')} FROM ${read.from} LIMIT 0`);
  const oids = probe.fields.map((f) => f.dataTypeID);
  // OIDs as text: past 2^31 an int would wrap, and the lookup below would miss.
  const r = await client.query<{ oid: string; send: string | null; sha256: boolean }>(
    `SELECT t.oid::int8::text AS oid,
            CASE WHEN t.typsend <> 0 THEN format('%I.%I', n.nspname, p.proname) END AS send,
            to_regprocedure('pg_catalog.sha256(bytea)') IS NOT NULL AS sha256
       FROM pg_type t LEFT JOIN pg_proc p ON p.oid = t.typsend LEFT JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE t.oid = ANY($1::oid[])`,
    [oids],
  );
  const byOid = new Map(r.rows.map((row) => [row.oid, row.send]));
  if (!r.rows.length || !r.rows[0].sha256) return null;
  const sends = oids.map((oid) => byOid.get(String(oid)) ?? null);
  return sends.every((s) => s !== null) ? (sends as string[]) : null;
}

const FENCE = 'pg_catalog.clock_timestamp() AS fence';

/** The statement: one SHA-256 per row over its binary COPY tuple, the first 16 bytes summed as four LE words. */
function serverDigestSql(read: DigestRead, sends: string[]): string {
  const fields = read.select.map((expr, i) => `${sends[i]}(${expr}) AS f${i}`);
  const tuple = [
    `pg_catalog.int2send(${read.select.length}::int2)`,
    ...read.select.map(
      (_, i) =>
        `coalesce(pg_catalog.int4send(pg_catalog.length(f${i})) || f${i}, pg_catalog.decode('ffffffff', 'hex'))`,
    ),
  ].join(' || ');
  const byte = (k: number) => `pg_catalog.get_byte(h, ${k})`;
  const word = (i: number) =>
    `pg_catalog.sum(${byte(4 * i)} + ${byte(4 * i + 1)} * 256 + ${byte(4 * i + 2)} * 65536` +
    ` + ${byte(4 * i + 3)}::int8 * 16777216)::text AS w${i}`;
  return (
    `SELECT pg_catalog.count(*)::text AS n, ${[0, 1, 2, 3].map(word).join(', ')}` +
    // Each subquery must stay whole (flattened, every send and hash would run once per use). A volatile
    // output keeps the planner from pulling it up; clock_timestamp() is also parallel safe, so the
    // scan may still be shared among workers (OFFSET 0 would forbid that, and take twice as long).
    ` FROM (SELECT pg_catalog.sha256(${tuple}) AS h, ${FENCE} FROM (SELECT ${fields.join(', ')}, ${FENCE} FROM ${read.from}${whereSql(read)}) f) r`
  );
}

/**
 * The digest of a binary read, computed by the server; null when it cannot be (the caller then
 * reads with COPY, the ground truth). Runs inside the caller's transaction, under a savepoint, so
 * that whatever the server refuses (a row too large to assemble, a type inside an array without a
 * binary form) leaves the transaction usable; a cancel, a lock timeout or a lost connection still end it.
 */
export async function serverDigest(
  client: pg.Client,
  read: DigestRead,
  signal?: AbortSignal,
): Promise<ContentDigest | null> {
  if (read.format !== 'binary' || (read.hash ?? 'sha256') !== 'sha256') return null;
  const checkCancel = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  checkCancel();
  const sends = await sendFunctions(client, read);
  if (!sends) return null;
  checkCancel();
  await client.query('SAVEPOINT archon_digest');
  try {
    const r = await client.query(serverDigestSql(read, sends));
    await client.query('RELEASE SAVEPOINT archon_digest');
    const { n, w0, w1, w2, w3 } = r.rows[0];
    return ContentDigest.fromSums(
      Number(n),
      [w0, w1, w2, w3].map((w) => BigInt(w ?? 0)),
    );
  } catch (e) {
    if (!refusal(e)) throw e;
    await client.query('ROLLBACK TO SAVEPOINT archon_digest');
    return null;
  }
}

/** A table's digest: computed by the server where it can be, read with COPY and hashed here otherwise. */
export async function digestOf(client: pg.Client, read: DigestRead, signal?: AbortSignal): Promise<ContentDigest> {
  return (await serverDigest(client, read, signal)) ?? readDigest(client, read, signal);
}

/**
 * The server declined this statement (and COPY may still do it): any error of the statement itself,
 * not a cancel (57014), a lock wait given up (55P03), a server going away (57P0x) or a lost connection.
 */
const refusal = (e: unknown): boolean => {
  const code = sqlStateOf(e);
  const ours = code === SQLSTATE.queryCanceled || code === SQLSTATE.lockNotAvailable;
  return !!code && !ours && !connectionFailed(e);
};
