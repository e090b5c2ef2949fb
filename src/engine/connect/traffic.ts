// Bytes over the network, as a user on a metered or slow link pays them: counted on the sockets
// themselves (protocol framing and TLS included), over every connection Archon opens to a side.
import type { Socket } from 'node:net';
import type pg from 'pg';
import type { Traffic } from '../../shared/report.js';

/** Every socket to one side; their counts survive their close. */
export class ByteMeter {
  private readonly sockets: Socket[] = [];

  /** Counts a client's socket, taken before it connects: TLS later wraps it, and the raw bytes are the link's. */
  watch(client: pg.Client): void {
    const socket = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
    if (socket && typeof socket.bytesRead === 'number') this.sockets.push(socket);
  }

  get read(): number {
    return this.sockets.reduce((n, s) => n + s.bytesRead, 0);
  }

  get written(): number {
    return this.sockets.reduce((n, s) => n + s.bytesWritten, 0);
  }
}

// Keyed by the endpoint object every connection to a side is opened with (connection.ts's Endpoint):
// only its identity counts, so this file need not know its shape.
const meters = new WeakMap<object, ByteMeter>();

/** The meter of every connection opened to an endpoint (a session's, and its lock watch's side connections). */
export function meterOf(ep: object): ByteMeter {
  let m = meters.get(ep);
  if (!m) {
    m = new ByteMeter();
    meters.set(ep, m);
  }
  return m;
}

/** What a run moves: read from the source, written to the target. */
export interface Meters {
  source: ByteMeter;
  target: ByteMeter;
}

export const trafficOf = (m: Meters): Traffic => ({ sourceRead: m.source.read, targetWritten: m.target.written });

/** The traffic since `before` (a table's share of the run). */
export const trafficSince = (m: Meters, before: Traffic): Traffic => {
  const now = trafficOf(m);
  return { sourceRead: now.sourceRead - before.sourceRead, targetWritten: now.targetWritten - before.targetWritten };
};

/** Adds a step's traffic to what a table has moved so far. */
export function addTraffic(r: { traffic?: Traffic | null }, more: Traffic): void {
  const had = r.traffic ?? { sourceRead: 0, targetWritten: 0 };
  r.traffic = { sourceRead: had.sourceRead + more.sourceRead, targetWritten: had.targetWritten + more.targetWritten };
}
