// `pmx-runtime [ecosystem file] [--env NAME] [--resurrect] [--raw] [--logs] [--no-auto-exit] [--health-port N [--health-host H]]`:
// the agent in the foreground, as a container's main process or an init system's service.
// The agent's modules are loaded only once the home is ours (runtime-home.ts): at boot, under
// load, that takes long, and a `pmx` command run meanwhile must find the home held.
import { isIP } from 'node:net';
import type { RuntimeOptions } from './runtime.js';
import { reportError } from './output/errors.js';
import { CliError } from './client/errors.js';
import { resolveHome } from '../agent/protocol/home.js';
import { takeHome } from './runtime-home.js';

/** The probe endpoint's default host (agent/health/probe-endpoint.ts's, which this module does not load early). */
const DEFAULT_PROBE_HOST = '127.0.0.1';

/** The exit code once every app is dead (runtime.ts's EXIT_ALL_DEAD, which this module does not load early). */
const EXIT_ALL_DEAD = 1;

const USAGE = `Usage: pmx-runtime [ecosystem file] [options]

Runs the pmx agent in the foreground until SIGTERM/SIGINT, which stop every app gracefully.

  ecosystem file   start its apps (the container mode): their output goes to stdout/stderr
                   prefixed with 'id|name | ', and once no app runs any more pmx-runtime exits
                   with code ${EXIT_ALL_DEAD} so that the orchestrator restarts the container
  --env NAME       use env_NAME of the ecosystem file
  --resurrect      start the apps saved by 'pmx save' (the boot hook written by 'pmx startup');
                   an agent already running in PMX_HOME is waited for, then taken over
  --raw            app output without prefixes
  --logs           app output on stdout/stderr even without an ecosystem file
  --no-auto-exit   keep running when no app runs
  --health-port N  serve GET /livez (the agent answers) and /readyz (every app online, and
                   healthy when it has a health check, stopped ones aside; 503 names the apps
                   that are not) on port N,
                   for Kubernetes' liveness and readiness probes
  --health-host H  the address to serve them on: 127.0.0.1 by default (this machine only);
                   0.0.0.0 in a pod, whose probes come to the pod's address
`;

/** The options of a command line, or a CliError naming the argument it does not understand. */
function parseRuntimeArgs(args: string[]): RuntimeOptions | 'help' {
  let file: string | null = null;
  let envName: string | undefined;
  let healthPort: string | undefined;
  let healthHost: string | undefined;
  const flags = new Set<string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--env') {
      envName = args[++index];
      if (!envName) throw new CliError('--env needs a name', { code: 'BAD_ARGUMENT', hint: 'for example: pmx-runtime ecosystem.config.js --env production' });
    } else if (arg === '--health-port') {
      healthPort = args[++index] ?? '';
    } else if (arg === '--health-host') {
      healthHost = args[++index] ?? '';
    } else if (['--resurrect', '--raw', '--logs', '--no-auto-exit'].includes(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('-') || file !== null) {
      throw new CliError(`pmx-runtime does not understand '${arg}'`, { code: 'BAD_ARGUMENT', hint: "see 'pmx-runtime --help'" });
    } else {
      file = arg;
    }
  }
  const shown = file !== null || flags.has('--logs') || flags.has('--raw');
  return {
    file,
    envName,
    resurrect: flags.has('--resurrect'),
    appLogs: !shown ? 'none' : flags.has('--raw') ? 'raw' : 'prefixed',
    exitWhenAllDead: file !== null && !flags.has('--no-auto-exit'),
    probes: probeAddress(healthPort, healthHost),
  };
}

/** Where --health-port and --health-host ask for the probe endpoint, or null when not asked; a CliError naming the flag when unusable. */
function probeAddress(port: string | undefined, host: string | undefined): { host: string; port: number } | null {
  if (port === undefined) {
    if (host !== undefined) throw new CliError('--health-host needs --health-port', { code: 'BAD_ARGUMENT', hint: 'for example: pmx-runtime ecosystem.config.js --health-port 9615 --health-host 0.0.0.0' });
    return null;
  }
  const number = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(number >= 1 && number <= 65535)) throw new CliError(`--health-port expects a port from 1 to 65535, got '${port}'`, { code: 'BAD_ARGUMENT', hint: 'for example: pmx-runtime ecosystem.config.js --health-port 9615' });
  const address = host ?? DEFAULT_PROBE_HOST;
  if (address !== 'localhost' && isIP(address) === 0) throw new CliError(`--health-host expects an IP address to listen on, got '${address}'`, { code: 'BAD_ARGUMENT', hint: `${DEFAULT_PROBE_HOST} (the default) for this machine only, 0.0.0.0 (or ::) for every address of the pod` });
  return { host: address, port: number };
}

async function main(options: RuntimeOptions): Promise<void> {
  const lock = await takeHome(resolveHome(), options.resurrect === true);
  const { runForeground } = await import('./runtime.js');
  await runForeground(options, lock);
}

try {
  const options = parseRuntimeArgs(process.argv.slice(2));
  if (options === 'help') process.stdout.write(USAGE);
  else {
    main(options).catch((error: unknown) => {
      reportError(error, process.stderr);
      process.exit(1);
    });
  }
} catch (error) {
  reportError(error, process.stderr);
  process.exit(2);
}
