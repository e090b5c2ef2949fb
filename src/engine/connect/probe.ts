// When a connection fails in a way that does not sound like PostgreSQL (an "SSL error" to a host
// that never spoke PostgreSQL, a connection closed at once), one look at what actually answers
// on that port turns a misleading message into the right one: "that is an HTTP server".
import { connect } from 'node:net';
import { visible } from '../../shared/names.js';

/** PostgreSQL's SSLRequest: length 8, code 80877103. A PostgreSQL server answers 'S' or 'N'. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/** The probe follows a failed connect: a server that answers at all does so at once. */
const PROBE_TIMEOUT_MS = 3000;

/**
 * What the server at host:port is, judged from its answer to an SSLRequest: null when it
 * answers like PostgreSQL (or cannot be reached again); else words saying what answered instead.
 */
export async function notPostgres(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let answered = false;
    const done = (v: string | null) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on('error', () => done(null));
    socket.on('connect', () => socket.write(SSL_REQUEST));
    socket.once('data', (d: Buffer) => {
      answered = true;
      done(judgeAnswer(d, host, port));
    });
    socket.on('end', () => {
      if (!answered)
        done(
          `${host}:${port} accepted the connection and closed it without a word of PostgreSQL: check the port, or a proxy or firewall in the way`,
        );
    });
  });
}

/**
 * What the first bytes a server sent to the probe's SSLRequest say it is: null for PostgreSQL (or a
 * pooler speaking its protocol: 'S' or 'N', one byte, or an error of its own), else words naming it.
 */
export function judgeAnswer(d: Buffer, host: string, port: number): string | null {
  const first = String.fromCharCode(d[0]);
  if (d.length === 1 && (first === 'S' || first === 'N')) return null;
  // 'E' with a PostgreSQL error in it (too many connections, shutting down) is PostgreSQL too.
  if (first === 'E' && /\bS(FATAL|ERROR)\0/.test(d.toString('latin1'))) return null;
  const text = d.toString('latin1').split(/\r?\n/)[0].slice(0, 60);
  const what = /^HTTP\/\d/.test(text) ? 'an HTTP server' : 'something that is not PostgreSQL';
  return `${what} answered at ${host}:${port} ("${visible(text)}"): check the host and the port`;
}
