// Bundles the programmatic API (cli/api/index.ts) into one CommonJS file, dist/api.cjs, for
// `require('pmx')`; `import pmx from 'pmx'` loads the ES module tsc wrote (dist/cli/api/index.js).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'cli/api/index.ts')],
  outfile: join(root, 'dist/api.cjs'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // import.meta.url resolves as in the unbundled dist/cli/client/ (where the agent's entry is found)
  define: { 'import.meta.url': '__pmx_client_url' },
  banner: { js: "const __pmx_client_url = require('node:url').pathToFileURL(require('node:path').join(__dirname, 'cli/client/agent.js')).href;" },
  // require('pmx') is the client itself, as require('pm2') is PM2's; the class stays reachable
  footer: { js: 'module.exports = Object.assign(module.exports.default, { Pmx: module.exports.Pmx, custom: module.exports.custom, default: module.exports.default });' },
});
