// Where pmx's static server is: `script: 'serve'` in an ecosystem file and `pmx serve` run it
// (PM2 maps the same word to its own Serve.js).
import { fileURLToPath } from 'node:url';

/** The script word that stands for the static server. */
export const SERVE_WORD = 'serve';

/** Absolute path of the built static server (dist/agent/serve/server.js, or its copy beside the bundle). */
export function serveScript(): string {
  return fileURLToPath(new URL('../../agent/serve/server.js', import.meta.url));
}
