// The `pmx` entry as one bundled CommonJS file (dist/fast.cjs, built by scripts/build-cjs.mjs):
// ls/jlist/describe run here; every other command goes on to the full command line, bundled as
// dist/cli.cjs beside it.
import { join } from 'node:path';
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
  // a path esbuild does not follow: the full command line is a bundle of its own
  require(join(__dirname, 'cli.cjs'));
}
