// System packages the tests need that npm cannot provide. On this project's machines (Debian, as
// root) they are installed with apt-get when missing, so `npm install && npm test` works on a fresh
// machine; elsewhere the message says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function installed(pkg) {
  try {
    // A removed package keeps a dpkg entry (config-files); only "install ok installed" counts.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not JavaScript.
    const format = '-f=${Status}';
    return (
      execFileSync('dpkg-query', ['-W', format, pkg], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() === 'install ok installed'
    );
  } catch {
    return false;
  }
}

export function ensureDebianPackages(packages, why) {
  const missing = packages.filter((p) => !installed(p));
  if (!missing.length) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall)
    throw new Error(
      `${why} needs the Debian packages ${missing.join(', ')}: sudo apt-get install ${missing.join(' ')}`,
    );
  console.error(`${why}: installing ${missing.join(', ')} with apt-get…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export function ensureChromium() {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return;
  if (existsSync('/usr/bin/chromium')) return;
  ensureDebianPackages(
    ['chromium', 'fonts-dejavu-core'],
    'The browser tests (the report page, the VS Code end-to-end test)',
  );
}

/** PgBouncer (Debian's package) plays a transaction-mode pooler in front of a test server. */
export function ensurePgBouncer() {
  if (process.env.PGBOUNCER_PATH && existsSync(process.env.PGBOUNCER_PATH)) return process.env.PGBOUNCER_PATH;
  if (!existsSync('/usr/sbin/pgbouncer')) {
    ensureDebianPackages(['pgbouncer'], 'The pooler tests (a transaction-mode PgBouncer)');
  }
  return '/usr/sbin/pgbouncer';
}
