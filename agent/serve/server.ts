// `pmx serve`: a static file server that the agent runs like any node app (PM2's Serve.js).
// Configured by PM2_SERVE_* variables, or `node server.js [path] [port] [host]`. Node built-ins only.
import { createServer } from 'node:http';
import { serveOptions } from './options.js';
import { staticHandler } from './handler.js';
import { guardServeRoot } from './resolve-path.js';
import { limitHttpServer } from '../rpc/http-limits.js';

/**
 * Connections the server holds at most (or 40 % of its descriptor limit when that is less: each may
 * hold a file open too, and node has its own dozen): past it the one idle the longest is closed, so
 * that a flood of idle connections never makes it refuse a client or run out of descriptors.
 */
const MAX_CONNECTIONS = 10_000;

let options: ReturnType<typeof serveOptions>;
try {
  options = serveOptions(process.env, process.argv.slice(2));
  guardServeRoot(options.root);
} catch (error) {
  console.error(`pmx serve: ${(error as Error).message}`);
  process.exit(1);
}
const server = createServer(staticHandler(options));
// the time limits and the cap of the agent's own listeners: idle and slow clients are closed
limitHttpServer(server, `static server ${options.host}:${options.port}`, MAX_CONNECTIONS, 0.4, (line) => console.error(`pmx serve: ${line}`));
server.on('error', (error) => {
  console.error(`pmx serve: cannot listen on ${options.host}:${options.port}: ${error.message}`);
  process.exit(1);
});
server.listen(options.port, options.host, () => {
  console.log(`Exposing ${options.root} directory on ${options.host}:${options.port}${options.spa ? ' (single-page app)' : ''}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
