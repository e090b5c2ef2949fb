import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer as createNetServer } from 'node:net';
import { describe, it } from 'node:test';
import { connect, parseEndpoint } from '../src/engine/connect/connection.js';
import { ConnectionError } from '../src/engine/errors.js';
import { runCli, testServers, pair } from './support/pg.js';

const s = testServers()[17];
const base = (host: string, query: string) =>
  `postgresql://postgres:${encodeURIComponent(s.password)}@${host}:${s.port}/postgres?${query}`;

async function sslInUse(url: string): Promise<boolean> {
  const client = await connect(parseEndpoint(url, 'source'));
  try {
    return (await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0].ssl;
  } finally {
    await client.end();
  }
}

describe('sslmode', () => {
  it('disable connects in the clear; require encrypts', async () => {
    assert.equal(await sslInUse(base('127.0.0.1', 'sslmode=disable')), false);
    assert.equal(await sslInUse(base('127.0.0.1', 'sslmode=require')), true);
  });

  it('verify-full checks the certificate against sslrootcert and the host name', async () => {
    assert.equal(
      await sslInUse(base('localhost', `sslmode=verify-full&sslrootcert=${encodeURIComponent(s.caFile!)}`)),
      true,
    );
  });

  it('verify-full refuses a certificate from another CA, naming the endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archon-otherca-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=Other CA',
        '-keyout',
        join(dir, 'k'),
        '-out',
        join(dir, 'ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    await assert.rejects(
      () => sslInUse(base('localhost', `sslmode=verify-full&sslrootcert=${encodeURIComponent(join(dir, 'ca.crt'))}`)),
      (e: Error) =>
        e instanceof ConnectionError &&
        /could not connect to the source postgres@localhost:\d+\/postgres: .*certificate/i.test(e.message) &&
        !e.message.includes(s.password),
    );
  });

  it('no sslmode means prefer: SSL where the server offers it, plain where it does not', async () => {
    assert.equal(await sslInUse(base('127.0.0.1', '')), true);
    const plain = testServers()[15];
    const url = `postgresql://postgres:${encodeURIComponent(plain.password)}@127.0.0.1:${plain.port}/postgres`;
    assert.equal(await sslInUse(url), false);
    await assert.rejects(() => sslInUse(`${url}?sslmode=require`), /does not support SSL/);
  });

  it('a failure carries its remedy as data, and no adapter words in its message', async () => {
    const plain = testServers()[15];
    const url = `postgresql://postgres@127.0.0.1:${plain.port}/postgres`;
    await assert.rejects(
      () => sslInUse(`${url}?sslmode=require`),
      (e: ConnectionError) =>
        e.remedy?.kind === 'sslmode' && e.remedy.use.join() === 'prefer,disable' && !/\?sslmode|--/.test(e.message),
    );
    await assert.rejects(
      () =>
        sslInUse(`host=127.0.0.1 port=${plain.port} dbname=postgres user=postgres password=wrong-pw sslmode=disable`),
      (e: ConnectionError) => e.reason === 'auth' && e.remedy?.kind === 'password' && !/ARCHON_|pgpass/.test(e.message),
    );
  });

  it('rejects an unknown sslmode', () => {
    assert.throws(() => parseEndpoint('postgresql://a@b/c?sslmode=sometimes', 'target'), /unknown sslmode "sometimes"/);
  });
});

describe('passwords from ~/.pgpass', () => {
  it('are used when the URL has none', async () => {
    const servers = testServers();
    const { src, tgt } = await pair(servers[17], servers[15], {
      source: `CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 5);`,
      target: `CREATE TABLE t (id int);`,
    });
    const home = mkdtempSync(join(tmpdir(), 'archon-home-'));
    writeFileSync(
      join(home, '.pgpass'),
      `127.0.0.1:${servers[17].port}:*:postgres:${servers[17].password}\n127.0.0.1:${servers[15].port}:*:postgres:${servers[15].password}\n`,
    );
    chmodSync(join(home, '.pgpass'), 0o600);
    const bare = (u: string) => u.replace(/:[^:@/]+@/, '@');
    const r = runCli(['migrate', '--source', bare(src.url), '--target', bare(tgt.url), '--yes'], { HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await tgt.count('t'), 5);
  });
});

describe('something other than PostgreSQL at the address', () => {
  /** A local server on a free port. */
  async function listen(server: Server): Promise<{ port: number; close: () => void }> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    // Not awaited: a server whose sockets hung up on their own may never call back.
    return { port, close: () => server.close() };
  }

  const failure = async (port: number, sslmode: string): Promise<ConnectionError> => {
    const url = `postgresql://u:pw-secret@127.0.0.1:${port}/db?sslmode=${sslmode}`;
    try {
      await connect(parseEndpoint(url, 'target'));
    } catch (e) {
      return e as ConnectionError;
    }
    throw new Error('connected to something that is not PostgreSQL');
  };

  it('an HTTP server is named as such, with or without SSL, not as an SSL error', async () => {
    const http = await listen(createHttpServer((_, res) => res.end()));
    try {
      for (const mode of ['prefer', 'disable']) {
        const e = await failure(http.port, mode);
        assert.equal(e.reason, 'not-postgres', mode);
        assert.match(
          e.message,
          new RegExp(`an HTTP server answered at 127\\.0\\.0\\.1:${http.port} \\("HTTP/1\\.1 400 Bad Request"\\)`),
        );
        assert.doesNotMatch(e.message, /SSL|pw-secret/);
      }
    } finally {
      http.close();
    }
  });

  it('a port that accepts and hangs up at once says so', async () => {
    const mute = await listen(createNetServer((socket) => socket.end()));
    try {
      const e = await failure(mute.port, 'prefer');
      assert.equal(e.reason, 'not-postgres');
      assert.match(e.message, /accepted the connection and closed it without a word of PostgreSQL/);
    } finally {
      mute.close();
    }
  });
});

describe('a peer that answers and then says nothing', () => {
  it('ends at the connect timeout and says what answered (an SSH banner), in every sslmode', async () => {
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.write('SSH-2.0-OpenSSH_8.9\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const results = await Promise.all(
        ['disable', 'prefer', 'require'].map(async (mode) => {
          // The default wait is 15 s; a shorter one here, so the test does not sit it out.
          const e = await connect(parseEndpoint(`postgresql://u:pw@127.0.0.1:${port}/db?sslmode=${mode}`, 'source'), {
            connectTimeoutMs: 1500,
          }).then(
            () => null,
            (err: ConnectionError) => err,
          );
          return { mode, e };
        }),
      );
      for (const { mode, e } of results) {
        assert.ok(e, `${mode}: connected to an SSH server`);
        assert.equal(e.reason, 'not-postgres', `${mode}: ${e.message}`);
        assert.match(e.message, /not PostgreSQL answered at 127\.0\.0\.1:\d+ \("SSH-2\.0-OpenSSH_8\.9"\)/);
      }
    } finally {
      // It never hangs up by itself: its sockets would keep the test process alive.
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe("the URL's connect_timeout", () => {
  it('bounds the connection as libpq would, and a wait for ever (0) or a non-number is refused by name', async () => {
    const sockets = new Set<Socket>();
    // Accepts and never answers: only the timeout ends the wait.
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const ep = parseEndpoint(`postgresql://u:pw@127.0.0.1:${port}/db?sslmode=disable&connect_timeout=2`, 'source');
      const e = await connect(ep).then(
        () => null,
        (err: ConnectionError) => err,
      );
      assert.ok(e, 'connected to a peer that says nothing');
      assert.match(e.message, /no answer within 2 s from 127\.0\.0\.1:\d+|no PostgreSQL handshake within 2 s/);
      const kv = parseEndpoint(`host=127.0.0.1 port=${port} dbname=db connect_timeout=7`, 'target');
      assert.equal(kv.connectTimeoutMs, 7000);
      for (const bad of ['0', '-3', 'soon', '1.5']) {
        assert.throws(
          () => parseEndpoint(`postgresql://u@h/db?connect_timeout=${bad}`, 'target'),
          /the target has connect_timeout=\S+: give a whole number of seconds above 0/,
          bad,
        );
      }
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
