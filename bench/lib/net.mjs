// Loopback ports: a free one, and waiting until something accepts on one.
import { createConnection, createServer } from 'node:net';
import { waitFor } from './measure.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const accepts = (port) =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Resolves once something accepts on 127.0.0.1:port. */
export const waitForPort = (port, timeoutMs = 10_000) => waitFor(() => accepts(port), { timeoutMs, everyMs: 25, what: `a listener on port ${port}` });
