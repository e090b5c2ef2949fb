// A network you can reason about, on one machine: a TCP proxy on loopback that gives each connection
// a link of its own, each direction limited to a rate and delayed by a latency, without stop-and-wait
// (bytes keep flowing while earlier ones are in flight, as on a real path). What is in flight is
// bounded: past that the proxy stops reading the sender, so memory stays flat and TCP back-pressure
// reaches the server. It counts the bytes each way, which is what a metered link bills.
import net from 'node:net';

/**
 * Starts the proxy in front of `target` ({ host, port }). `bytesPerSecond` and `latencyMs` apply to
 * each direction of each connection. Returns its port, the bytes moved so far, and close().
 */
export async function startProxy({ target, bytesPerSecond = 4 * 1024 * 1024, latencyMs = 20 }) {
  const moved = { toServer: 0, fromServer: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    link(client, upstream, (n) => (moved.toServer += n));
    link(upstream, client, (n) => (moved.fromServer += n));
  });
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
        count(chunk.length);
        to.write(chunk);
        inFlight -= chunk.length;
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
  }
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    moved,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
