// Bundles the `pmx` command and the agent into CommonJS files beside the ES modules tsc wrote:
//   dist/fast.cjs   ls/jlist/describe (cli/fast-main.ts), which loads dist/cli.cjs for anything else
//   dist/cli.cjs    the whole command line (cli/main.ts)
//   dist/agent.cjs  the agent the command line starts (agent/main.ts)
//   dist/api.cjs    `require('pmx')`, the programmatic API (cli/api/index.ts), its packages left to
//                   node_modules; `import pmx from 'pmx'` loads the ES module tsc wrote
// A CommonJS entry skips Node's ES module loader and a single file skips resolving a few hundred
// modules: `pmx deploy` reaches its first SSH login 80-100 ms sooner, every other command 30-50 ms.
// The tsc output stays: `import 'pmx'`, pmx-runtime and the files that run in other processes
// (the cluster preload, the listen helper, the static server) are loaded from it.
//
// The sources find such files beside themselves (`new URL('../x.js', import.meta.url)`); in a
// bundle each file's import.meta.url is its own place in dist/, so every such path resolves as it
// does unbundled. `createRequire(import.meta.url)('x')` is bundled as `require('x')`.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metaUrlPlugin } from './meta-url-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  plugins: [metaUrlPlugin(root)],
  // native add-ons are loaded from node_modules at run time (ssh2 works without cpu-features)
  external: ['cpu-features', 'node-unix-socket', '*.node'],
  legalComments: 'none',
  // defined at the bundle's top, where `require` is the module's own (a source may name a local `require`)
  banner: { js: "const __pmxUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, file)).href;" },
};

/**
 * Packages the command line loads only for some commands (ssh2 and listr2 for deploy, yaml for a
 * YAML file, croner for a cron key): each is a bundle of its own in dist/vendor/, required from
 * dist/cli.cjs where the source imports it. Bundled inline, they were half of dist/cli.cjs (1.2 of
 * 2.3 MB), which every command read and compiled before running: `pmx start` 20-25 ms sooner.
 * Packages only: they share no module state with pmx's sources, so nothing exists twice.
 */
const VENDOR = ['ssh2', 'listr2', 'yaml', 'croner'];
const vendorPlugin = {
  name: 'pmx-vendor',
  setup(builder) {
    // the package's name resolves to a one-line module that requires its bundle: the sources'
    // imports of it (static or `import()`) keep the interop they had inline, and `import()` stays a
    // require (an external `import()` would go through Node's ES module loader)
    builder.onResolve({ filter: new RegExp(`^(${VENDOR.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'pmx-vendor' }));
    builder.onLoad({ filter: /.*/, namespace: 'pmx-vendor' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./vendor/${args.path}.cjs`)});`, loader: 'js' }));
    builder.onResolve({ filter: /^\.\/vendor\//, namespace: 'pmx-vendor' }, (args) => ({ path: args.path, external: true }));
  },
};

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'cli/fast-main.ts')], outfile: join(root, 'dist/fast.cjs') }),
  build({ ...common, entryPoints: [join(root, 'cli/main.ts')], outfile: join(root, 'dist/cli.cjs'), plugins: [...common.plugins, vendorPlugin] }),
  ...VENDOR.map((name) =>
    build({ ...common, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, sourcefile: `vendor-${name}.cjs`, loader: 'js' }, outfile: join(root, `dist/vendor/${name}.cjs`) }),
  ),
  build({ ...common, entryPoints: [join(root, 'agent/main.ts')], outfile: join(root, 'dist/agent.cjs') }),
  build({
    ...common,
    entryPoints: [join(root, 'cli/api/index.ts')],
    outfile: join(root, 'dist/api.cjs'),
    packages: 'external',
    // require('pmx') is the client itself, as require('pm2') is PM2's; the class stays reachable
    footer: { js: 'module.exports = Object.assign(module.exports.default, { Pmx: module.exports.Pmx, custom: module.exports.custom, default: module.exports.default });' },
  }),
]);
