// Bundles the fast path (cli/fast-main.ts) into one CommonJS file, dist/fast.cjs: a CommonJS
// entry skips Node's ES module loader and a single file skips resolving a dozen modules, which
// together are a third of what `pmx ls` costs on top of Node's own start-up.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'cli/fast-main.ts')],
  outfile: join(root, 'dist/fast.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // the one import.meta.url on this path (agentEntry) resolves as in the unbundled dist/cli/client/
  define: { 'import.meta.url': '__pmx_client_url' },
  banner: { js: "const __pmx_client_url = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'cli/client/agent.js')).href;" },
});
