// `pmx-runtime [ecosystem file] [--env NAME]`: the agent in the foreground, as a container's main process.
import { runForeground } from './runtime.js';
import { reportError } from './output/errors.js';

const args = process.argv.slice(2);
const envIndex = args.indexOf('--env');
const envName = envIndex >= 0 ? args[envIndex + 1] : undefined;
const file = args.find((arg, index) => !arg.startsWith('-') && (envIndex < 0 || index !== envIndex + 1)) ?? null;

runForeground({ file, envName }).catch((error: unknown) => {
  reportError(error, process.stderr);
  process.exit(1);
});
