// PM2 commands pmx does not have: each answers in one line why, and what to use instead, and exits 1
// (a script that relies on one must not go on as if it had worked).
import { CliError } from '../client/errors.js';

const PM2_PLUS = "PM2 Plus (app.pm2.io) is PM2's hosted service, which pmx does not connect to; use `pmx dashboard` (a web page) or `pmx metrics` (Prometheus)";
const MODULES = 'pmx has no module system: log rotation is built in (`log_rotate` in the ecosystem file), and any other module runs as an ordinary app';

/** PM2 command -> why pmx has none, and what does the job. */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  link: PM2_PLUS,
  unlink: PM2_PLUS,
  plus: PM2_PLUS,
  register: PM2_PLUS,
  login: PM2_PLUS,
  logout: PM2_PLUS,
  monitor: PM2_PLUS,
  unmonitor: PM2_PLUS,
  open: PM2_PLUS,
  install: MODULES,
  'module:install': MODULES,
  'module:update': MODULES,
  'module:generate': MODULES,
  uninstall: MODULES,
  'module:uninstall': MODULES,
  package: MODULES,
  publish: MODULES,
  'module:publish': MODULES,
  trigger: "@pm2/io actions are PM2's in-app probe, which pmx does not inject; send the app a signal with `pmx sendSignal`",
  'profile:mem': "profiling goes through PM2's in-app probe; start the app with `--node-args=--inspect` and use Node's inspector",
  'profile:cpu': "profiling goes through PM2's in-app probe; start the app with `--node-args=--inspect` and use Node's inspector",
  inspect: 'start the app with `--node-args=--inspect` (or `pmx restart <app> --node-args=--inspect`) and attach a debugger',
  send: "pmx does not connect an app's stdin to the command line",
  attach: "pmx does not connect an app's stdin to the command line; `pmx logs <app>` follows its output",
  report: 'see `pmx describe <app>` and the agent log (~/.pmx/agent.log)',
  logrotate: 'rotation is built in (`log_rotate` per app); after an external logrotate, `pmx reloadLogs` reopens the files',
  slist: "pmx collects no system information; `pmx metrics` serves the apps' CPU and memory",
  sysinfos: "pmx collects no system information; `pmx metrics` serves the apps' CPU and memory",
  pull: 'in-place git updates are replaced by releases: `pmx deploy <environment>`, and `revert` to go back',
  forward: 'in-place git updates are replaced by releases: `pmx deploy <environment>`',
  backward: 'in-place git updates are replaced by releases: `pmx deploy <environment> revert 1`',
  deepUpdate: 'update with `npm install -g pmx`, then `pmx update`',
  autoinstall: "PM2's optional packages have no pmx counterpart; nothing needs installing",
  'install-otel': "PM2's tracing packages have no pmx counterpart; `pmx metrics` needs no install",
  'uninstall-otel': "PM2's tracing packages have no pmx counterpart",
  create: 'write an ecosystem file with `pmx init`',
  cleardump: 'with no process running, `pmx save --force` saves an empty list',
};

/** Fails with the one-line answer for a PM2 command pmx does not have. */
export function unsupported(command: string): never {
  throw new CliError(`pmx ${command}: not supported: ${UNSUPPORTED[command] ?? 'PM2 has it, pmx does not'}`, { code: 'BAD_ARGUMENT' });
}
