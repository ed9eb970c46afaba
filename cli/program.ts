// The `pmx` command line: commander wiring only. Each action loads just the module it needs.
import { Command, Option } from 'commander';
import { resolveHome } from '../agent/protocol/home.js';
import { aliasesOf } from './aliases.js';
import { PMX_VERSION } from '../agent/version.js';
import { commandContext, type CommandContext } from './commands/context.js';
import { UNSUPPORTED, unsupported } from './commands/unsupported.js';
import { CliError } from './client/errors.js';
import type { StartFlags } from './commands/apps-input.js';
import type { LogFlags } from './commands/logs.js';
import type { DeployFlags } from './commands/deploy.js';
import type { StartupFlags } from './commands/startup.js';
import type { ServeFlags } from './commands/serve.js';
import type { FleetFlags } from './commands/fleet.js';
import type { DashboardFlags } from './commands/dashboard.js';
import type { MetricsFlags } from './commands/metrics.js';
import type { ImportFlags } from './commands/import-pm2.js';

const program = new Command('pmx')
  .description('Process manager and SSH deployment toolkit (PM2-compatible)')
  .version(PMX_VERSION, '-v, --version')
  // PM2 prints its version for -V too
  .addOption(new Option('-V').hideHelp())
  .on('option:V', () => {
    process.stdout.write(`${PMX_VERSION}\n`);
    process.exit(0);
  })
  .option('--no-daemon', 'run the agent in the foreground (for systemd Type=simple and containers)')
  .option('--no-color', 'print without colours (as NO_COLOR=1), anywhere on the line')
  .option('-s, --silent', 'print nothing (the exit code still tells), anywhere on the line')
  .option('-m, --mini-list', "print PM2's minimal list (a block of lines per process) instead of the table, anywhere on the line")
  .showHelpAfterError("(run 'pmx --help' for the commands, 'pmx <command> --help' for one)")
  .enablePositionalOptions();

/** The context of the command that runs, made when it runs: the options that shape output (--no-color, -m) are read by then. */
const ctx = (): CommandContext => commandContext({ miniList: program.opts().miniList === true });
const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
/** PM2 takes `--ignore-watch` as one word that it splits on spaces (`--ignore-watch="node_modules logs"`): the next word is no glob but the script. */
function spaceSeparated(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/\s+/).filter(Boolean)];
}

const proc = () => import('./commands/process.js');
const starting = () => import('./commands/start.js');
const list = () => import('./commands/list.js');
const admin = () => import('./commands/admin.js');
const fleet = () => import('./commands/fleet.js');
/** The command line as typed, which a fleet command forwards to each host's pmx. */
const typed = (): string[] => process.argv.slice(2);
const onFleet = (flags: FleetFlags): boolean => [flags.deploy, flags.deployFile, flags.hosts, flags.roles].some((flag) => flag !== undefined);
/** The actions that also run on a fleet (delete and reset stay per host). */
const onHosts = (action: string): boolean => action === 'stop' || action === 'restart' || action === 'reload';

/** `--deploy <environment>`: run the command on every host of that deploy environment (or those --hosts/--roles select). */
function fleetOptions(command: Command): Command {
  return command
    .option('--deploy <environment>', 'run on every host of this deploy environment (through its pmx, over SSH)')
    .option('--deploy-file <file>', 'ecosystem file with the deploy section (default: the one in this directory)')
    .option('--hosts <glob[,glob]>', "with --deploy: only the hosts whose name matches (* and ?), e.g. 'web0*'")
    .option('--roles <role[,role]>', 'with --deploy: only the hosts having one of these roles');
}

/** The option flags shared by start, startOrRestart, startOrReload (PM2's names). */
function startOptions(command: Command): Command {
  command
    .option('-n, --name <name>', 'name of the process')
    .option('--namespace <namespace>', 'namespace of the process')
    .option('-i, --instances <n>', 'number of instances: n, max, 0 or -n')
    .option('--exec-mode <mode>', 'fork or cluster')
    .option('-x, --execute-command', 'run in fork mode (PM2\'s flag)')
    .option('--interpreter <path>', 'interpreter (node, python3, bash, none, a path)')
    .option('--interpreter-args <args>', 'arguments for the interpreter')
    .option('--node-args <args>', 'arguments for node (same as --interpreter-args)')
    .option('--cwd <path>', 'working directory of the process')
    .option('--watch [paths...]', 'restart on file changes')
    .option('--ignore-watch <globs>', 'paths not to watch, separated by spaces (as PM2; the flag may repeat)', spaceSeparated)
    .option('--watch-delay <delay>', "delay between a change and the restart: seconds, as PM2's (4), or with a unit (4000ms)")
    .option('--max-memory-restart <size>', 'restart when memory exceeds this (e.g. 200M)')
    .option('--restart-delay <ms>', 'delay before an automatic restart')
    .option('--exp-backoff-restart-delay <ms>', 'exponential back-off starting at this delay')
    .option('--max-restarts <n>', 'unstable restarts before the process is errored')
    .option('--min-uptime <ms>', 'uptime under which an exit counts as unstable')
    .option('-c, --cron-restart <expr>', 'restart on a cron schedule')
    .addOption(new Option('--cron <expr>', 'alias of --cron-restart').hideHelp())
    .option('--stop-exit-codes <codes...>', 'exit codes that do not cause a restart')
    .option('-k, --kill-timeout <ms>', 'delay between SIGINT and SIGKILL (default 1600)')
    .option('--no-autorestart', 'do not restart the process when it exits')
    .option('--no-pmx', 'no Node runtime metrics (heap, event loop, HTTP) for this app')
    .option('--shutdown-with-message', "send a 'shutdown' message instead of SIGINT")
    .option('--wait-ready', "wait for process.send('ready') before counting it online")
    .option('--listen-timeout <ms>', 'how long to wait for ready')
    .option('-o, --output <file>', 'stdout log file')
    .option('-e, --error <file>', 'stderr log file')
    .option('-l, --log [file]', 'combined log file')
    .option('--merge-logs', 'one log file for all instances')
    .option('--log-date-format <format>', 'prefix log lines with this date format')
    .option('--time', 'prefix log lines with the time')
    .option('--log-type <type>', 'raw or json')
    .option('--instance-var <name>', 'name of the instance number variable', undefined)
    .option('--listen <addresses...>', 'addresses the agent listens on for the app (socket activation)')
    .option('--filter-env [names...]', 'leave the shell variables out (all, or those containing one of the names)')
    .option('--disable-logs', 'write no log file')
    .option('-p, --pid <file>', 'pid file path (-<id> goes before .pid, as in PM2)')
    .addOption(new Option('--uid <uid>', 'not supported').hideHelp())
    .addOption(new Option('--gid <gid>', 'not supported').hideHelp())
    .option('--env <name>', 'use env_<name> of the ecosystem file')
    .option('--only <names>', 'only these apps of the ecosystem file (comma-separated)')
    .option('-a, --update-env', 'refresh the environment from the current shell')
    .option('-f, --force', 'start another copy even when the name is taken')
    .option('--no-autostart', 'register the app stopped: start it later with pmx start <name>')
    .hook('preAction', (_command, action) => warnIgnoredFlags(action.opts()));
  for (const flag of IGNORED_FLAGS) command.addOption(new Option(flag.name, flag.why).hideHelp());
  return command;
}

/** PM2 flags for its in-app probe and options pmx does without: accepted, with a warning saying so. */
const IGNORED_FLAGS = [
  { name: '--no-vizion', key: 'vizion', why: 'pmx reads no version-control metadata' },
  { name: '--no-treekill', key: 'treekill', why: 'pmx always stops the whole process tree' },
  { name: '--no-automation', key: 'automation', why: "PM2's in-app probe is not injected by pmx" },
  { name: '--source-map-support', key: 'sourceMapSupport', why: "start node with --enable-source-maps (--node-args) instead" },
  { name: '--disable-source-map-support', key: 'disableSourceMapSupport', why: 'pmx adds no source-map support to disable' },
  { name: '--trace', key: 'trace', why: "PM2's tracing goes to PM2 Plus; pmx has no tracing" },
  { name: '--disable-trace', key: 'disableTrace', why: 'pmx has no tracing to disable' },
  { name: '--v8', key: 'v8', why: "PM2's in-app probe is not injected by pmx; pmx's metrics need no flag" },
  { name: '--event-loop-inspector', key: 'eventLoopInspector', why: 'pmx measures event-loop delay for every Node app' },
  { name: '--deep-monitoring', key: 'deepMonitoring', why: "PM2's in-app probe is not injected by pmx" },
  { name: '--wait-ip', key: 'waitIp', why: 'pmx starts apps at once; the startup unit already waits for the network (network-online.target)' },
  { name: '--ext <extensions>', key: 'ext', why: 'pmx watches every file under the watched paths; leave files out with --ignore-watch' },
  { name: '-w, --write', key: 'write', why: 'pmx writes no configuration file; `pmx init` writes an ecosystem file' },
] as const;

function warnIgnoredFlags(flags: Record<string, unknown>): void {
  // running as the agent's user what was asked to run as another would be worse than not running it
  for (const key of ['uid', 'gid'] as const) {
    if (flags[key] !== undefined) throw new CliError(`--${key} is not supported: every app runs as the agent's user; run an agent as that user (pmx startup -u <user>) and start the app there`, { code: 'BAD_ARGUMENT' });
  }
  for (const { name, key, why } of IGNORED_FLAGS) {
    const value = flags[key];
    if (value === undefined || (name.startsWith('--no-') && value === true)) continue;
    process.stderr.write(`[PMX][WARN] ${name.replace(/^-\w, /, '').split(' ')[0]} is ignored: ${why}\n`);
  }
}

fleetOptions(startOptions(program.command('start').argument('[targets...]', "scripts, ecosystem files, ids, names, namespaces or all ('-': a configuration on stdin); script arguments after --")))
  .description('start scripts or ecosystem files, or restart registered processes')
  .addHelpText('after', examples('pmx start app.js -n api', 'pmx start ecosystem.config.js --env production', 'pmx start api.js worker.js', 'pmx start worker.py --interpreter python3', 'pmx start app.js -- --port 3000', 'cat apps.json | pmx start -', 'pmx start ecosystem.config.js --env production --deploy production'))
  .action(async (words: string[], flags: StartFlags & FleetFlags) => {
    if (onFleet(flags)) return (await fleet()).fleetAction(ctx(), 'start', typed(), flags);
    const { targets, args } = splitScriptArgs(words);
    return (await starting()).start(ctx(), targets, args, flags);
  });

for (const mode of ['startOrRestart', 'startOrReload'] as const) {
  startOptions(program.command(mode).aliases(aliasesOf(mode)).argument('<file>', 'ecosystem file'))
    .description(`start the file's apps that are not running, ${mode === 'startOrRestart' ? 'restart' : 'reload'} the others`)
    .addHelpText('after', examples(`pmx ${mode} ecosystem.config.js --env production`))
    .action(async (file: string, flags: StartFlags) => (await starting()).startOr(ctx(), mode, file, flags));
}

/**
 * The options `restart` and `reload` take, as PM2's do: each changes the app's option for this
 * and later runs (PM2 merges them into the restarted process's). -i, --namespace and -f are
 * accepted and ignored, with a warning: scaling is `pmx scale`, a namespace is set at start.
 */
function respecOptions(command: Command, name: 'restart' | 'reload'): void {
  command
    .option('--node-args <args>', `${name} with these node arguments`)
    .option('--interpreter-args <args>', `${name} with these interpreter arguments`)
    .option('--max-memory-restart <size>', `${name} with this memory limit`)
    .option('-c, --cron-restart <expr>', `${name} with this cron schedule`)
    .addOption(new Option('--cron <expr>', 'alias of --cron-restart').hideHelp())
    .option('--watch [paths...]', 'watch the paths from now on; restart --watch alone toggles watching, as PM2\'s')
    .option('--ignore-watch <globs>', 'paths not to watch, separated by spaces', spaceSeparated)
    .option('--watch-delay <delay>', "delay between a change and the restart: seconds, as PM2's (4), or with a unit (4000ms)")
    .option('--restart-delay <ms>', 'delay before an automatic restart')
    .option('--exp-backoff-restart-delay <ms>', 'exponential back-off starting at this delay')
    .option('--max-restarts <n>', 'unstable restarts before the process is errored')
    .option('--min-uptime <ms>', 'uptime under which an exit counts as unstable')
    .option('--stop-exit-codes <codes...>', 'exit codes that do not cause a restart')
    .option('-k, --kill-timeout <ms>', 'delay between SIGINT and SIGKILL')
    .option('--no-autorestart', 'do not restart the process when it exits')
    .option('--shutdown-with-message', "send a 'shutdown' message instead of SIGINT")
    .option('--wait-ready', "wait for process.send('ready') before counting it online")
    .option('--listen-timeout <ms>', 'how long to wait for ready')
    .option('--merge-logs', 'one log file for all instances')
    .option('--log-date-format <format>', 'prefix log lines with this date format')
    .option('--time', 'prefix log lines with the time')
    .addOption(new Option('-i, --instances <n>', 'ignored: use pmx scale').hideHelp())
    .addOption(new Option('--namespace <namespace>', 'ignored: a namespace is set at start').hideHelp())
    .addOption(new Option('-f, --force', 'accepted, as PM2 accepts it').hideHelp())
    .hook('preAction', (_command, action) => {
      const flags = action.opts();
      if (flags.instances !== undefined) process.stderr.write(`[PMX][WARN] -i is ignored by ${name}, as PM2 ignores it: 'pmx scale <app> <n>' changes the number of instances\n`);
      if (flags.namespace !== undefined) process.stderr.write(`[PMX][WARN] --namespace is ignored by ${name}: an app's namespace is set when it starts\n`);
    });
}

const actions = [
  ['stop', 'stop processes (SIGINT, then SIGKILL after kill_timeout)'],
  ['restart', 'restart processes'],
  ['reload', 'reload processes (zero-downtime in cluster mode; restart in fork mode)'],
  ['delete', 'stop processes and remove them from the list'],
  ['reset', 'reset the restart counters'],
] as const;
for (const [name, description] of actions) {
  const command = program
    .command(name)
    .aliases(aliasesOf(name))
    .argument('<targets...>', "ids, names, script paths, namespaces, all, /regex/ or ecosystem files ('-': a configuration on stdin)")
    .description(description)
    .option('-a, --update-env', 'refresh the environment from the current shell')
    .option('--env <name>', 'use env_<name> of the ecosystem file')
    .option('--only <names>', 'only these apps of the ecosystem file')
    .addHelpText('after', examples(`pmx ${name} api`, `pmx ${name} 0 1`, `pmx ${name} all`, `pmx ${name} '/^api-/'`, `pmx ${name} ecosystem.config.js`, ...(onHosts(name) ? [`pmx ${name} all --deploy production`] : [])));
  if (name === 'reload') command.option('--parallel <n>', 'instances replaced at once (default 1)');
  if (name === 'restart') command.option('--parallel <n>', 'processes restarted at once (default: all)');
  if (name === 'stop') {
    // PM2 takes its global -f and --parallel here too, and stops as without them
    command.option('--watch', 'stop watching (every stop does, as in PM2)')
      .addOption(new Option('-f, --force', 'accepted, as PM2 accepts it: stop needs no force').hideHelp())
      .addOption(new Option('--parallel <n>', 'accepted, as PM2 accepts it: every process stops at once').hideHelp());
  }
  if (name === 'restart' || name === 'reload') respecOptions(command, name);
  if (name === 'delete') command.addOption(new Option('-f, --force', 'accepted, as PM2 accepts it: delete needs no force').hideHelp());
  if (onHosts(name)) fleetOptions(command);
  command.action(async (targets: string[], flags: StartFlags & FleetFlags) => (onFleet(flags) ? (await fleet()).fleetAction(ctx(), name, typed(), flags) : (await proc()).act(ctx(), name, targets, flags)));
}

program.command('scale').argument('<name>', 'app name').argument('<count>', 'n, +n or -n instances').description('set the number of instances of an app')
  .addHelpText('after', examples('pmx scale api 4', 'pmx scale api +2', 'pmx scale api -1'))
  .action(async (name: string, count: string) => (await proc()).scale(ctx(), name, count));
program.command('deploy')
  .argument('[args...]', '[file] <environment> [setup | update | revert [n] | mark-bad [release] | curr | prev | list | exec <cmd> | ref <ref> | startup | <ref>]')
  .description('roll a release out to every host of an environment (PM2 deploy)')
  .option('--force', 'deploy even with uncommitted or unpushed changes')
  .option('--json', 'print the result as JSON')
  .option('--parallel <n>', 'hosts prepared at once (default: all)')
  .option('--rolling <n|n%|steps>', "publish in batches (2, '25%') or cumulative steps ('1,25%,100%'); the file's max_fail and batch_wait apply")
  .option('--to <release|sha>', 'revert: the release to go back to, which every host must have')
  .option('--hosts <glob[,glob]>', "run only on the hosts whose name matches (* and ?), e.g. 'web0*'")
  .option('--roles <role[,role]>', 'run only on the hosts having one of these roles')
  .option('--plan', 'deploy, setup, revert: print per host the phases and commands that would run, change nothing')
  .allowUnknownOption()
  .addHelpText('after', examples('pmx deploy production setup', 'pmx deploy production', 'pmx deploy production revert 1', 'pmx deploy production revert --to 3f2a9c1', 'pmx deploy production mark-bad', 'pmx deploy ecosystem.config.js production list', 'pmx deploy production exec "pmx ls"', 'pmx deploy production startup', "pmx deploy production --roles web", "pmx deploy production --hosts 'web0*' revert 1", 'pmx deploy production --plan'))
  .action(async (args: string[], flags: DeployFlags, command: Command) => (await import('./commands/deploy.js')).deploy(ctx(), args, flags, () => command.helpInformation()));
// as PM2's, words after `ls` are ignored (scripts written for PM2 pass them)
fleetOptions(program.command('ls').aliases(aliasesOf('ls')).description('list the processes').allowExcessArguments())
  .option('--sort <field:order>', 'sort by name, id, pid, namespace, cpu, memory, uptime or status, :asc or :desc (default name)')
  .addHelpText('after', examples('pmx ls', 'pmx ls --sort memory:desc', 'pmx ls -m', 'pmx ls --deploy production'))
  .action(async (flags: FleetFlags & { sort?: string }) => (onFleet(flags) ? (await fleet()).fleetList(ctx(), 'ls', flags) : (await list()).ls(ctx(), flags)));
// as PM2's, words after jlist, describe <x>, env <id>, pid [name], id <name> and ping are ignored
// (an unquoted name with a space, `pmx pid $NAME`, passes one)
fleetOptions(program.command('jlist').description("the processes as JSON (PM2's shape)").allowExcessArguments())
  .addHelpText('after', examples("pmx jlist | jq '.[].pm2_env.status'", "pmx jlist --deploy production | jq '.[] | [.host, .name]'"))
  .action(async (flags: FleetFlags) => (onFleet(flags) ? (await fleet()).fleetList(ctx(), 'jlist', flags) : (await list()).jlist(ctx(), false)));
fleetOptions(program.command('prettylist').description('the processes as indented JSON'))
  .addHelpText('after', examples('pmx prettylist'))
  .action(async (flags: FleetFlags) => (onFleet(flags) ? (await fleet()).fleetList(ctx(), 'prettylist', flags) : (await list()).jlist(ctx(), true)));
fleetOptions(program.command('describe').aliases(aliasesOf('describe')).argument('<target>', 'id or name').description('details of a process').allowExcessArguments())
  .addHelpText('after', examples('pmx describe api', 'pmx show 0', 'pmx describe api --deploy production'))
  .action(async (target: string, flags: FleetFlags) => (onFleet(flags) ? (await fleet()).fleetDescribe(ctx(), typed(), flags) : (await list()).describe(ctx(), target)));
program.command('env').argument('<target>', 'id or name').description('the environment of a process').allowExcessArguments()
  .addHelpText('after', examples('pmx env 0'))
  .action(async (target: string) => (await list()).env(ctx(), target));
program.command('pid').argument('[name]', 'app name (default: every process)').description('the pid of each process, one per line (0: not running)').allowExcessArguments()
  .addHelpText('after', examples('pmx pid', 'pmx pid api', 'kill -USR2 $(pmx pid api)'))
  .action(async (name: string | undefined) => (await import('./commands/ids.js')).pid(ctx(), name));
program.command('id').argument('<name>', 'app name or script').description("the ids of an app's processes, as PM2 prints them").allowExcessArguments()
  .addHelpText('after', examples('pmx id api'))
  .action(async (name: string) => (await import('./commands/ids.js')).id(ctx(), name));
const conf = () => import('./commands/module-conf.js');
program.command('set').argument('[key]', '<app>:<key>').argument('[value]', 'value').description('set a value in module_conf.json; <app>:<key> restarts that app with it as a variable')
  .addHelpText('after', examples('pmx set api:LOG_LEVEL debug', 'pmx get api:LOG_LEVEL', 'pmx unset api:LOG_LEVEL'))
  .action(async (key: string | undefined, value: string | undefined) => (await conf()).set(ctx(), key, value));
program.command('multiset').argument('<pairs>', '"key1 value1 key2 value2"').description('set several values of module_conf.json')
  .addHelpText('after', examples('pmx multiset "api:A 1 api:B 2"'))
  .action(async (pairs: string) => (await conf()).multiset(ctx(), pairs));
program.command('get').argument('[key]', '<app>:<key>, <app> or nothing for all').description('print values of module_conf.json')
  .addHelpText('after', examples('pmx get', 'pmx get api', 'pmx get api:LOG_LEVEL'))
  .action(async (key: string | undefined) => (await conf()).get(ctx(), key));
program.command('unset').argument('<key>', '<app>:<key>, or all').description('remove a value from module_conf.json')
  .addHelpText('after', examples('pmx unset api:LOG_LEVEL'))
  .action(async (key: string) => (await conf()).unset(ctx(), key));
for (const name of ['conf', 'config']) {
  program.command(name, { hidden: true }).argument('[key]').argument('[value]').description('get or set a value of module_conf.json')
    .action(async (key: string | undefined, value: string | undefined) => (await conf()).conf(ctx(), key, value));
}
program.command('import').argument('<source>', "'pm2': PM2's saved list and settings").description("take over a PM2 install: its saved apps (dump.pm2) and pm2-logrotate settings, after stopping PM2")
  .option('--pm2-home <dir>', "PM2's home (default: PM2_HOME, else ~/.pm2)")
  .option('--pm2 <cli>', 'the PM2 command used to stop it (default: pm2)')
  .option('-y, --yes', 'stop PM2 without asking')
  .addHelpText('after', examples('pm2 save && pmx import pm2', 'pmx import pm2 --yes', 'pmx import pm2 --pm2-home /home/deploy/.pm2'))
  .action(async (source: string, flags: ImportFlags) => (await import('./commands/import-pm2.js')).importPm2(ctx(), source, flags));
program.command('examples').description('a few examples of pmx commands')
  .action(() => {
    ctx().out.write(examples('pmx start app.js --name app', 'pmx ls', 'pmx stop app', 'pmx start app', 'pmx restart app', 'pmx delete app', 'pmx start app.js -i max', 'pmx logs app', 'pmx save && pmx startup', 'pmx deploy production').trimStart());
  });
for (const name of Object.keys(UNSUPPORTED).filter((word) => !word.startsWith('-'))) {
  program.command(name, { hidden: true }).allowUnknownOption().argument('[args...]').description('not supported (PM2 command)')
    .action(() => unsupported(name));
}
program.command('sendSignal').argument('<signal>', 'e.g. SIGUSR2').argument('<target>', 'id, name or all').description('send a signal to processes')
  .addHelpText('after', examples('pmx sendSignal SIGUSR2 api'))
  .action(async (signal: string, target: string) => (await proc()).sendSignal(ctx(), signal, target));

// PM2's save reads its global -f as --force
fleetOptions(program.command('save').aliases(aliasesOf('save')).description('save the process list for resurrect and boot').option('-f, --force', 'save even an empty list over a saved one'))
  .addHelpText('after', examples('pmx save', 'pmx save --deploy production'))
  .action(async (flags: { force?: boolean } & FleetFlags) => (onFleet(flags) ? (await fleet()).fleetAction(ctx(), 'save', typed(), flags) : (await admin()).save(ctx(), Boolean(flags.force))));
program.command('resurrect').description('start the processes saved by save')
  .addHelpText('after', examples('pmx resurrect'))
  .action(async () => (await admin()).resurrect(ctx()));
program.command('kill').description('stop every process and the agent')
  .addOption(new Option('-f, --force', 'accepted, as PM2 accepts it: kill needs no force').hideHelp())
  .addHelpText('after', examples('pmx kill'))
  .action(async () => (await admin()).kill(ctx()));
program.command('serve').aliases(aliasesOf('serve')).argument('[path]', 'directory to serve (default: the current one)').argument('[port]', 'port (default 8080)')
  .description('serve a directory over HTTP as a managed app (static-page-server-<port>)')
  .option('--port <port>', 'port to listen on')
  .option('-n, --name <name>', 'name of the process')
  .option('--spa', 'serve the home page (index.html) for paths that name no file')
  .option('--basic-auth-username <username>', 'user name for HTTP basic auth')
  .option('--basic-auth-password <password>', 'password for HTTP basic auth')
  .option('--dotfiles', 'also serve names that begin with a dot (.env, .git/): not served by default')
  .addHelpText('after', examples('pmx serve', 'pmx serve ./dist 8080 --spa', 'pmx serve public 3000 --basic-auth-username admin --basic-auth-password secret'))
  .action(async (path: string | undefined, port: string | undefined, flags: ServeFlags) => (await import('./commands/serve.js')).serve(ctx(), path, port, flags));
program.command('ping').description('start the agent if needed and check it answers').allowExcessArguments()
  .addHelpText('after', examples('pmx ping'))
  .action(async () => (await admin()).ping(ctx()));
program.command('update').aliases(aliasesOf('update')).description('save, restart the agent with this version, resurrect')
  .addHelpText('after', examples('pmx update'))
  .action(async () => (await admin()).update(ctx()));
/** The flags of startup and unstartup (PM2's names). */
function startupOptions(command: Command): Command {
  return command
    .argument('[system]', 'systemd, launchd, openrc, upstart, systemv or rcd (default: detected)')
    .option('-u, --user <user>', 'the user the agent runs as (default: the real uid)')
    .option('--hp <home>', 'home directory of that user')
    .option('--service-name <name>', 'name of the service (default: pmx-<user>)')
    .option('--pmx-home <dir>', "the agent's home (default: <home>/.pmx, or PMX_HOME for your own hook)");
}
startupOptions(program.command('startup')).description('install the boot hook that resurrects the saved processes')
  .addHelpText('after', examples('pmx startup', 'pmx startup systemd -u deploy --hp /home/deploy', 'pmx save'))
  .action(async (system: string | undefined, flags: StartupFlags) => (await import('./commands/startup.js')).startup(ctx(), system, flags));
startupOptions(program.command('unstartup')).description('remove the boot hook')
  .addHelpText('after', examples('pmx unstartup', 'pmx unstartup systemd'))
  .action(async (system: string | undefined, flags: StartupFlags) => (await import('./commands/startup.js')).unstartup(ctx(), system, flags));
program.command('flush').argument('[target]', 'id or name (default: all)').description('empty log files')
  .addHelpText('after', examples('pmx flush', 'pmx flush api'))
  .action(async (target: string | undefined) => (await admin()).flush(ctx(), target));
program.command('reloadLogs').description('reopen every log file (after logrotate moved them)')
  .addHelpText('after', examples('pmx reloadLogs'))
  .action(async () => (await admin()).reloadLogs(ctx()));
fleetOptions(program.command('logs').argument('[target]', 'id, name, namespace or all').description('print the last lines of logs, then follow them'))
  .option('--lines <n>', 'lines to print first (default 15; with --since: every line since then)')
  .option('--grep <regex>', 'only the lines matching this regular expression (JavaScript syntax), first and new')
  .option('--since <time>', "only the lines written since then: a duration ('10m', '2h', '1d') or an ISO time; lines are dated by their --time/log_date_format stamp")
  .option('--out', 'stdout only').option('--err', 'stderr only').option('--raw', 'no prefixes')
  .option('--nostream', 'print and exit, do not follow')
  .option('--json', 'one JSON object per line')
  .option('--timestamp [format]', 'prefix each line with the time it is shown')
  .option('--highlight [text]', 'highlight this text')
  .addHelpText('after', examples('pmx logs', 'pmx logs api --lines 100', 'pmx logs --nostream', "pmx logs api --err --highlight 'ERROR'", 'pmx logs api --deploy production', "pmx logs api --grep 'ERROR|WARN' --since 10m --nostream", "pmx logs --deploy production --roles web --grep ' 5\\d\\d '"))
  .action(async (target: string | undefined, flags: LogFlags & FleetFlags) => (onFleet(flags) ? (await fleet()).fleetLogs(ctx(), typed(), flags) : (await import('./commands/logs.js')).logs(ctx(), target, flags)));
program.command('dashboard').description('serve a web dashboard of the processes from the agent')
  .option('--port <port>', 'port to listen on', '9615')
  .option('--host <address>', 'address to listen on; any other than 127.0.0.1 requires a token', '127.0.0.1')
  .addHelpText('after', examples('pmx dashboard', 'pmx dashboard --port 8080', 'pmx dashboard --host 0.0.0.0'))
  .action(async (flags: DashboardFlags) => (await import('./commands/dashboard.js')).dashboard(ctx(), flags));
program.command('monit').aliases(aliasesOf('monit')).description('full-screen view of the processes, their metrics and live logs (q to quit)')
  .addHelpText('after', examples('pmx monit'))
  .action(async () => (await import('./commands/monit.js')).monit(ctx()));
program.command('metrics').description('serve Prometheus metrics of every process from the agent (GET /metrics)')
  .option('--port <port>', 'port to listen on (default 9209; 0 for any free port)')
  .option('--host <host>', 'address to bind (default 127.0.0.1; another address exposes the metrics to the network)')
  .option('--stop', 'stop serving')
  .option('--status', 'say where the metrics are served, without changing anything')
  .addHelpText('after', examples('pmx metrics', 'pmx metrics --port 9300', 'curl -s http://127.0.0.1:9209/metrics', 'pmx metrics --stop'))
  .action(async (flags: MetricsFlags) => (await import('./commands/metrics.js')).metrics(ctx(), flags));
program.command('init').aliases(aliasesOf('init')).argument('[mode]', "'simple' for a file without a deploy section").description('write an ecosystem.config.js template')
  .addHelpText('after', examples('pmx init', 'pmx init simple'))
  .action(async (mode: string | undefined) => (await import('./commands/init.js')).init(ctx(), mode === 'simple'));
program.command('completion').argument('[action]', 'install or uninstall').argument('[shell]', 'bash or zsh').description('shell completion')
  .addHelpText('after', examples('pmx completion install', 'pmx completion install zsh', 'pmx completion uninstall', 'pmx completion >> ~/.bashrc'))
  .action(async (action: string | undefined, shell: string | undefined) => (await import('./commands/completion-command.js')).completion(ctx(), action, shell, commandNames()));
program.command('completion-names', { hidden: true }).description('process names, for shell completion')
  .action(async () => (await import('./commands/completion-command.js')).completionNames(ctx()));

function commandNames(): string[] {
  return program.commands.filter((command) => !(command as unknown as { _hidden: boolean })._hidden).flatMap((command) => [command.name(), ...command.aliases()]);
}

/** Start targets and the script's arguments: those after `--` on the command line, as PM2 reads them. */
function splitScriptArgs(words: string[]): { targets: string[]; args: string[] } {
  const dash = process.argv.indexOf('--');
  if (dash < 0) return { targets: words, args: [] };
  const args = process.argv.slice(dash + 1);
  return { targets: words.slice(0, Math.max(0, words.length - args.length)), args };
}

/** Parses `argv` and runs the command it names. */
/** The commands that, with --no-daemon, run the agent in the foreground with the apps they start (PM2's container form). */
const FOREGROUND_COMMANDS = new Set(['start', 'startOrRestart', 'startOrReload', 'startOrGracefulReload', 'resurrect']);

/** Runs the command line; true when the agent now runs in this process (`--no-daemon`): it must not exit. */
export async function runProgram(argv: string[]): Promise<boolean> {
  // PM2 reads these anywhere before `--`: they shape all output, so they act before any command runs
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (own.includes('--no-color')) process.env.NO_COLOR = '1';
  // as PM2's, jlist and prettylist print their list even when silent: scripts read it
  const command = own.slice(2).find((arg) => !arg.startsWith('-'));
  if (own.includes('-s') || own.includes('--silent')) silence(command === 'jlist' || command === 'prettylist');
  const global = new Set(['--no-color', '-s', '--silent']);
  // -m is the program's option (PM2's `pm2 -m ls`), wherever it is typed: it goes before the command
  const mini = new Set(['-m', '--mini-list']);
  const words = own.slice(2).filter((arg) => !global.has(arg) && !mini.has(arg));
  argv = [...own.slice(0, 2), ...(own.slice(2).some((arg) => mini.has(arg)) ? ['--mini-list'] : []), ...words, ...argv.slice(own.length)];
  if (own.includes('--no-daemon') && (command === undefined || FOREGROUND_COMMANDS.has(command))) {
    // as PM2's: `start app.js --no-daemon` (a container's command) runs the agent in this process,
    // starts the apps in it and stays, their output on stdout/stderr, until signalled or killed
    const rest = argv.filter((arg, index) => arg !== '--no-daemon' || index >= own.length);
    const lock = await (await import('./runtime-home.js')).takeHome(resolveHome(), false);
    const run = command === undefined ? undefined : async () => void (await program.parseAsync(rest));
    await (await import('./runtime.js')).runForeground({ file: null, envName: undefined, appLogs: run ? 'prefixed' : 'none', command: run }, lock);
    return true;
  }
  await program.parseAsync(argv);
  return false;
}

/** `-s`/`--silent`: nothing written to stdout or stderr (stderr only with `keepStdout`), as PM2's --silent. */
function silence(keepStdout: boolean): void {
  const quiet = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof process.stdout.write;
  if (!keepStdout) process.stdout.write = quiet;
  process.stderr.write = quiet;
}
