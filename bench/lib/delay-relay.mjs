// A TCP relay that makes a slow network out of loopback (this kernel has no netem): it listens on
// a loopback address, forwards each connection to a host's sshd, and holds every chunk `delayMs`
// in each direction before passing it on, in order. It connects upstream 3 x delayMs after the
// client connected, so that the server's first bytes reach the client when they would after a
// real TCP handshake over a round trip of 2 x delayMs.
import { connect, createServer } from 'node:net';

/** Chunks of `from` (and its end), each passed on `delayMs` after it arrived, in order, once `to(socket)` names where. */
function delayed(from, delayMs) {
  const queue = [];
  let timer = null;
  let to = null;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    schedule();
  };
  const schedule = () => {
    if (timer === null && to !== null && queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
  };
  const push = (chunk) => {
    queue.push({ at: performance.now() + delayMs, chunk });
    schedule();
  };
  from.on('data', push);
  from.on('end', () => push(null));
  return {
    to(socket) {
      to = socket;
      schedule();
    },
    stop: () => clearTimeout(timer),
  };
}

/**
 * Starts a relay on `listen` (a loopback address) and `port` (0: any free one) to target:targetPort.
 * Resolves to { address, port, close() }; close ends every connection it carries.
 */
export function startDelayRelay({ listen = '127.0.0.1', port = 0, target, targetPort, delayMs }) {
  const open = new Set();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const pair = { client, upstream: null, handshake: null, up: delayed(client, delayMs), down: null };
    // an error ends both sides at once; an orderly close has passed its end on (delayed) already
    const fail = () => {
      clearTimeout(pair.handshake);
      pair.up.stop();
      pair.down?.stop();
      client.destroy();
      pair.upstream?.destroy();
    };
    const closed = () => client.destroyed && (pair.upstream === null || pair.upstream.destroyed) && open.delete(pair);
    pair.handshake = setTimeout(() => {
      const upstream = connect({ host: target, port: targetPort, allowHalfOpen: true, noDelay: true });
      pair.upstream = upstream;
      pair.down = delayed(upstream, delayMs);
      pair.down.to(client);
      pair.up.to(upstream);
      upstream.on('error', fail).on('close', closed);
    }, 3 * delayMs);
    open.add(pair);
    client.on('error', fail).on('close', () => {
      // a client gone before the relay connected upstream: nothing to pass on
      if (pair.upstream === null) fail();
      closed();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listen, () => {
      server.off('error', reject);
      resolve({
        address: listen,
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            for (const { client, upstream, handshake } of open) {
              clearTimeout(handshake);
              client.destroy();
              upstream?.destroy();
            }
            server.close(() => done());
          }),
      });
    });
  });
}
