// Builds dist/pmx.cjs: the whole pmx (CLI and agent) as one CommonJS file that `pmx deploy setup`
// installs on hosts as ~/.pmx/pmx.cjs, run by the host's own node with nothing else installed.
//
// The sources locate a few files beside themselves with `new URL('../x.js', import.meta.url)`: the
// agent's entry (the CLI spawns it), the module cluster workers preload, the listen helper, the
// send shim. In the bundle each file's import.meta.url becomes its path under a directory of those
// helper files, which the bundle writes next to itself on first use (`.pmx-lib-<hash>/`); there the
// agent's entry (agent.cjs, where the CLI looks for it) is a one-line stub that re-enters the bundle
// with `--pmx-agent`.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metaUrlPlugin } from './meta-url-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', write: false };

/** A helper file built on its own (it runs in another process: a cluster worker, the listen helper). */
async function helper(entry) {
  const result = await build({ ...common, entryPoints: [join(root, entry)] });
  return result.outputFiles[0].text;
}

const files = {
  'package.json': '{"type":"commonjs"}\n',
  'agent/modes/cluster-preload.js': await helper('agent/modes/cluster-preload.ts'),
  'agent/modes/listen-helper.js': await helper('agent/modes/listen-helper.ts'),
  'agent/serve/server.js': await helper('agent/serve/server.ts'),
  'agent/modes/send-shim.cjs': readFileSync(join(root, 'agent/modes/send-shim.cjs'), 'utf8'),
  'agent/metrics/preload.cjs': readFileSync(join(root, 'agent/metrics/preload.cjs'), 'utf8'),
};
// the stub's name is part of the directory's identity: a directory an older bundle wrote (its stub at agent/main.js) is not reused
const hash = createHash('sha256').update(JSON.stringify(files)).update('stub: agent.cjs').digest('hex').slice(0, 12);

// the helper directory, written once beside the bundle (atomically: a temp dir renamed into place)
const banner = `"use strict";
const __pmxFiles = ${JSON.stringify(files)};
let __pmxDir = null;
function __pmxUrl(file) {
  const fs = require('node:fs');
  const path = require('node:path');
  if (__pmxDir === null) {
    const dir = path.join(path.dirname(__filename), '.pmx-lib-${hash}');
    if (!fs.existsSync(path.join(dir, 'agent.cjs'))) {
      const temp = dir + '.' + process.pid + '.tmp';
      for (const [name, text] of Object.entries(__pmxFiles)) {
        fs.mkdirSync(path.dirname(path.join(temp, name)), { recursive: true });
        fs.writeFileSync(path.join(temp, name), text);
      }
      fs.writeFileSync(path.join(temp, 'agent.cjs'), 'require(' + JSON.stringify(__filename) + ');\\n');
      try { fs.renameSync(temp, dir); } catch { fs.rmSync(temp, { recursive: true, force: true }); }
    }
    __pmxDir = dir;
  }
  return require('node:url').pathToFileURL(require('node:path').join(__pmxDir, file)).href;
}`;

// the agent's stub requires the bundle with --pmx-agent in argv: run the agent, else the CLI
const entry = `if (process.argv.includes('--pmx-agent')) require('./agent/main.ts'); else require('./cli/main.ts');`;

// `--out <file>` writes the bundle elsewhere (tests build their own copy)
const outIndex = process.argv.indexOf('--out');
const outfile = outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'dist/pmx.cjs');
const started = Date.now();
const result = await build({
  ...common,
  write: true,
  stdin: { contents: entry, resolveDir: root, sourcefile: 'pmx-bundle-entry.js', loader: 'js' },
  outfile,
  banner: { js: banner },
  plugins: [metaUrlPlugin(root)],
  // native add-ons ssh2 can use are optional: it falls back to JavaScript without them
  external: ['cpu-features', '*.node'],
  minifyWhitespace: true,
  legalComments: 'none',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
if (process.argv.includes('--verbose')) console.log(`${relative(process.cwd(), outfile)}: ${(bytes / 1024).toFixed(0)} KB in ${Date.now() - started} ms`);
