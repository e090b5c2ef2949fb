// A PostgreSQL server that speaks German (lc_messages = de_DE.UTF-8), for the tests that prove the
// engine decides by error code, not by the server's words. The embedded servers the other tests use are
// built without translations (no NLS), so this one is the operating system's PostgreSQL (Debian's
// postgresql-NN ships its .mo files), with the German locale compiled into a private directory
// (localedef + LOCPATH): nothing on the machine changes. Where any of that is missing, `skip` says what.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './pg.js';

const LOCALE = 'de_DE.UTF-8';

export type Localized = { server: TestServer; stop: () => Promise<void> } | { skip: string };

/** The newest OS PostgreSQL with German messages: its bin directory and major version. */
function osPostgres(): { bin: string; major: number } | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .map(Number)
    .filter((m) => existsSync(join(root, String(m), 'bin/postgres')))
    .filter((m) => existsSync(`/usr/share/locale/de/LC_MESSAGES/postgres-${m}.mo`))
    .sort((a, b) => b - a);
  return majors.length ? { bin: join(root, String(majors[0]), 'bin'), major: majors[0] } : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: then its programs run as the `postgres` user. */
function asServerUser(dir: string, program: string, args: string[]): void {
  const env = ['env', `LOCPATH=${join(dir, 'locales')}`, program, ...args];
  const [cmd, ...rest] = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...env] : env;
  execFileSync(cmd, rest, { stdio: 'ignore' });
}

export async function startLocalizedServer(): Promise<Localized> {
  const os = osPostgres();
  if (!os) return { skip: 'no operating-system PostgreSQL with German translations (/usr/lib/postgresql)' };
  if (!existsSync('/usr/share/i18n/locales/de_DE')) return { skip: 'no de_DE locale source to compile' };
  const dir = await mkdtemp(join(tmpdir(), 'archon-de-'));
  await chmod(dir, 0o755);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  try {
    await mkdir(join(dir, 'locales'));
    execFileSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', join(dir, 'locales', LOCALE)], { stdio: 'ignore' });
    await writeFile(join(dir, 'pw'), password);
    if (process.getuid?.() === 0) await chown(dir, ...serverUserIds());
    const data = join(dir, 'data');
    asServerUser(dir, join(os.bin, 'initdb'), [
      ...['-D', data, '-U', 'postgres', `--pwfile=${join(dir, 'pw')}`, '--auth=scram-sha-256'],
      ...['--locale=C.UTF-8', `--lc-messages=${LOCALE}`, '--encoding=UTF8'],
    ]);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    asServerUser(dir, join(os.bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    const stop = async () => {
      asServerUser(dir, join(os.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await rm(dir, { recursive: true, force: true });
    };
    return { server: { major: os.major, port, password, caFile: null }, stop };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `could not start a German-speaking server: ${(e as Error).message.split('\n')[0]}` };
  }
}

function serverUserIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return [uid, gid];
}
