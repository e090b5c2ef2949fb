import pg from 'pg';
import { spawnSync } from 'node:child_process';

export interface TestServer {
  major: number;
  port: number;
  password: string;
  /** The CA that signed the server's certificate (the test servers run with ssl=on). */
  caFile: string | null;
}

export function testServers(): Record<number, TestServer> {
  const raw = process.env.ARCHON_TEST_SERVERS;
  if (!raw) throw new Error('ARCHON_TEST_SERVERS is not set: run the tests with `npm test`, which starts the servers');
  return Object.fromEntries((JSON.parse(raw) as TestServer[]).map((s) => [s.major, s]));
}

export function urlOf(s: TestServer, db: string, user = 'postgres', password = s.password): string {
  return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${s.port}/${encodeURIComponent(db)}?sslmode=disable`;
}

let counter = 0;
/** How often, and how many times, `archonSessionsLeft` looks: 10 s in all, for a loaded machine. */
const SESSION_POLL_MS = 100;
const SESSION_POLLS = 100;

/** A fresh, empty database on a server, for one test; `sql` runs statements in it. */
export class TestDb {
  private constructor(
    readonly server: TestServer,
    readonly name: string,
  ) {}

  static async create(server: TestServer, label = 't'): Promise<TestDb> {
    const name = `archon_${label}_${process.pid}_${++counter}`;
    await withClient(urlOf(server, 'postgres'), (c) => c.query(`CREATE DATABASE ${name}`));
    return new TestDb(server, name);
  }

  get url(): string {
    return urlOf(this.server, this.name);
  }

  async sql<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<R[]> {
    return withClient(this.url, async (c) => (await c.query<R>(text, params)).rows);
  }

  /**
   * Archon's sessions still on this database once those ending have gone: 0 unless one was left open.
   * Polled (bounded): a backend leaves pg_stat_activity a moment after its client has hung up. Only
   * this database's, so another test's run on the same server is never counted.
   */
  async archonSessionsLeft(): Promise<number> {
    const count = async () =>
      (
        await this.sql(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'archon%' AND datname = current_database()`,
        )
      )[0].n as number;
    for (let i = 0; i < SESSION_POLLS; i++) {
      const n = await count();
      if (n === 0) return 0;
      await new Promise((r) => setTimeout(r, SESSION_POLL_MS));
    }
    return count();
  }

  async count(table: string): Promise<number> {
    const [r] = await this.sql(`SELECT count(*)::int AS n FROM ${table}`);
    return r.n;
  }

  /**
   * A content fingerprint: the md5 of every row's columns (named, in name order, as text in UTC),
   * sorted — equal on both sides only when every value arrived byte for byte.
   */
  async fingerprint(table: string, columns?: string[]): Promise<{ rows: number; md5: string }> {
    return withClient(this.url, async (c) => {
      await c.query(
        `SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'`,
      );
      const cols =
        columns ??
        (
          await c.query(
            `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname`,
            [table],
          )
        ).rows.map((r) => r.attname as string);
      const expr = `concat_ws(E'\\x1f', ${cols.map((n) => `coalesce(${pg.escapeIdentifier(n)}::text, E'\\x1e')`).join(', ')})`;
      const r = await c.query(
        `SELECT count(*)::int AS rows, coalesce(md5(string_agg(x, E'\\x1d' ORDER BY x)), '') AS md5 FROM (SELECT ${expr} AS x FROM ${table}) s`,
      );
      return r.rows[0];
    });
  }
}

/** What `pair` runs before a test: `both` on each side first, then each side's own statements. */
export interface PairSetup {
  both?: string;
  source?: string;
  target?: string;
}

/**
 * A fresh source database on `from` and target database on `to` (labelled src and tgt), each set up
 * with `both` and then its own statements: the start of most migration tests.
 */
export async function pair(
  from: TestServer,
  to: TestServer,
  setup: PairSetup = {},
): Promise<{ src: TestDb; tgt: TestDb }> {
  const src = await TestDb.create(from, 'src');
  const tgt = await TestDb.create(to, 'tgt');
  // One after the other, as a test would write them: two setups on one server may touch the same
  // roles, which the server does not let two sessions change at once.
  for (const [db, own] of [
    [src, setup.source],
    [tgt, setup.target],
  ] as const)
    for (const sql of [setup.both, own]) if (sql) await db.sql(sql);
  return { src, tgt };
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs the built CLI as a user would. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    input: '',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The directions every engine test runs in. */
export function directions(): [TestServer, TestServer][] {
  const s = testServers();
  return [
    [s[17], s[15]],
    [s[15], s[17]],
  ];
}
