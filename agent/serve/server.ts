// `pmx serve`: a static file server that the agent runs like any node app (PM2's Serve.js).
// Configured by PM2_SERVE_* variables, or `node server.js [path] [port] [host]`. Node built-ins only.
import { createServer } from 'node:http';
import { serveOptions } from './options.js';
import { staticHandler } from './handler.js';
import { guardServeRoot } from './resolve-path.js';

let options: ReturnType<typeof serveOptions>;
try {
  options = serveOptions(process.env, process.argv.slice(2));
  guardServeRoot(options.root);
} catch (error) {
  console.error(`pmx serve: ${(error as Error).message}`);
  process.exit(1);
}
const server = createServer(staticHandler(options));
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
