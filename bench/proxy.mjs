// A network you can reason about, on one machine: a TCP proxy on loopback that gives each connection
// a link of its own, each direction limited to a rate and delayed by a latency, without stop-and-wait
// (bytes keep flowing while earlier ones are in flight, as on a real path). What is in flight is
// bounded: past that the proxy stops reading the sender, so memory stays flat and TCP back-pressure
// reaches the server. It counts the bytes each way, which is what a metered link bills. It can also
// drop the network once, at a chosen count of bytes from the server, to measure what a cut costs.
import net from 'node:net';

/**
 * Starts the proxy in front of `target` ({ host, port }). `bytesPerSecond` and `latencyMs` apply to
 * each direction of each connection. `cutAfter` arms a cut from the start (see cutAfter() below).
 * Returns its port, the bytes moved so far, the cuts made, cutAfter() and close().
 */
export async function startProxy({ target, bytesPerSecond = 4 * 1024 * 1024, latencyMs = 20, cutAfter }) {
  const moved = { toServer: 0, fromServer: 0 };
  const cuts = [];
  const connections = new Set();
  let cutAt = null; // the total of moved.fromServer at which the armed cut drops every connection
  /** Drops every open connection at once, both sides, forgetting what was in flight. */
  const cutAll = () => {
    cuts.push({ atBytes: moved.fromServer, connections: connections.size });
    cutAt = null;
    for (const c of [...connections]) c.drop();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const links = [];
    const connection = {
      drop: () => {
        connections.delete(connection);
        for (const l of links) l.forget();
        client.destroy();
        upstream.destroy();
      },
    };
    connections.add(connection);
    let open = 2;
    for (const s of [client, upstream]) {
      // A side that closes normally still gets what is in flight to it (a server's last error
      // message, a client's Terminate): only both closed ends the connection.
      s.on('close', () => --open || connections.delete(connection));
      s.on('error', connection.drop);
    }
    links.push(
      link(client, upstream, (n) => {
        moved.toServer += n;
        return n;
      }),
    );
    links.push(link(upstream, client, fromServer));
  });
  /**
   * Counts what the server sent; when an armed cut is reached, only the bytes up to it are passed on,
   * so the count at a cut is exactly the chosen one. Returns how much of `n` may go through.
   */
  function fromServer(n) {
    const allowed = cutAt === null ? n : Math.min(n, cutAt - moved.fromServer);
    moved.fromServer += allowed;
    return allowed;
  }
  /**
   * One direction: each chunk leaves when the link has sent what came before it, and lands `latencyMs`
   * later, in order (one queue and one timer per direction: timers of different lengths may fire out of order).
   */
  function link(from, to, count) {
    const limit = Math.max(1024 * 1024, bytesPerSecond * (latencyMs / 1000) * 2);
    const queue = [];
    let free = 0; // when the link has finished sending what it was given
    let inFlight = 0;
    let timer = null;
    let ended = false;
    const deliver = () => {
      timer = null;
      const now = performance.now();
      while (queue.length && queue[0].at <= now) {
        const { chunk } = queue.shift();
        inFlight -= chunk.length;
        const allowed = count(chunk.length);
        to.write(allowed < chunk.length ? chunk.subarray(0, allowed) : chunk);
        if (allowed < chunk.length) return cutAll();
      }
      if (inFlight <= limit) from.resume();
      if (queue.length) timer = setTimeout(deliver, queue[0].at - now);
      else if (ended) to.end();
    };
    from.on('data', (chunk) => {
      const now = performance.now();
      free = Math.max(free, now) + (chunk.length / bytesPerSecond) * 1000;
      queue.push({ chunk, at: free + latencyMs });
      inFlight += chunk.length;
      if (inFlight > limit) from.pause();
      timer ??= setTimeout(deliver, queue[0].at - now);
    });
    from.on('end', () => {
      ended = true;
      if (!queue.length && !timer) to.end();
    });
    return {
      forget: () => {
        clearTimeout(timer);
        timer = null;
        queue.length = 0;
        inFlight = 0;
      },
    };
  }
  /**
   * Arms a cut: once `bytes` more have come from the server (or `{ fraction, of }`: that share of an
   * expected total), every connection open is dropped, both sides, as a dropped network would; the
   * cut happens once, and connections opened later pass. A cut already armed is replaced.
   */
  const arm = (bytes) => {
    const n = typeof bytes === 'number' ? bytes : Math.round(bytes.fraction * bytes.of);
    cutAt = moved.fromServer + n;
    if (n <= 0) cutAll();
  };
  if (cutAfter !== undefined) arm(cutAfter);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    moved,
    /** One entry per cut made: the bytes from the server at that moment and the connections dropped. */
    cuts,
    cutAfter: arm,
    /** Disarms a cut that has not happened. */
    uncut: () => {
      cutAt = null;
    },
    close: async () => {
      for (const c of [...connections]) c.drop();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
