// The `pmx` entry as one bundled CommonJS file (dist/fast.cjs, built by scripts/build-fast.mjs):
// ls/jlist/describe run here without Node's ES module loader; every other command goes on to
// the full command line, dist/cli/main.js.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isFast, runFast } from './fast.js';
import { reportError } from './output/errors.js';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const args = process.argv.slice(2);
if (isFast(args)) {
  runFast(args).catch((error: unknown) => {
    reportError(error, process.stderr);
    process.exit(1);
  });
} else {
  void import(pathToFileURL(join(__dirname, 'cli', 'main.js')).href);
}
