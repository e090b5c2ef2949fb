// Debian's PgBouncer in front of a test server, in the pool mode a test asks for: the stand-in for a
// hosted platform's pooler. `npm test` installs it (scripts/system-deps.mjs) and names it in ARCHON_PGBOUNCER.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './pg.js';

export interface Bouncer {
  port: number;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => c.end(() => resolve(true)));
    c.once('error', () => resolve(false));
  });

export async function startPgBouncer(
  server: TestServer,
  mode: 'transaction' | 'session',
  users: Record<string, string>,
): Promise<Bouncer> {
  const binary = process.env.ARCHON_PGBOUNCER;
  if (!binary) throw new Error('ARCHON_PGBOUNCER is not set: run the tests with `npm test`, which installs PgBouncer');
  const dir = mkdtempSync(join(tmpdir(), 'archon-pgbouncer-'));
  chmodSync(dir, 0o777); // PgBouncer refuses to run as root: it drops to the postgres user, who writes here
  const port = await freePort();
  const auth = Object.entries(users)
    .map(([u, p]) => `"${u}" "${p}"`)
    .join('\n');
  writeFileSync(join(dir, 'users.txt'), `${auth}\n`, { mode: 0o644 });
  const ini = `[databases]
* = host=127.0.0.1 port=${server.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = plain
auth_file = ${join(dir, 'users.txt')}
pool_mode = ${mode}
default_pool_size = 4
max_client_conn = 50
ignore_startup_parameters = extra_float_digits,options
server_tls_sslmode = disable
logfile = ${join(dir, 'pgbouncer.log')}
`;
  writeFileSync(join(dir, 'pgbouncer.ini'), ini, { mode: 0o644 });
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    port,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
