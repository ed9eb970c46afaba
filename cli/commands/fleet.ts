// `pmx <command> --deploy <environment>`: ls, jlist, prettylist, describe, logs and the actions
// (start, stop, restart, reload, save) on every host of a deploy environment, through the pmx that
// `pmx deploy <environment> setup` installed there, over the SSH connections deploy uses.
import { resolve } from 'node:path';
import { inspect } from 'node:util';
import { CliError } from '../client/errors.js';
import { DEFAULT_FILES, findEcosystemFile } from '../ecosystem/find.js';
import { splitList } from '../deploy/host-selection.js';
import { loadEnvironment } from '../deploy/run.js';
import { remoteWords, replaceOptionValue } from '../fleet/argv.js';
import { closeFleet, type Fleet, type HostResult, openFleet, shownResults } from '../fleet/fleet.js';
import { followEverywhere, type HostLine } from '../fleet/follow.js';
import { type FleetProcess, listEverywhere, runEverywhere, VIEW_TIMEOUT_MS } from '../fleet/run-pmx.js';
import { actionSucceeded, failureText, hostJsonLine, hostLine, renderActionLines, renderActionSummary, renderFleetList, renderPerHost } from '../output/fleet.js';
import type { CommandContext } from './context.js';
import { parseLogFilter } from './log-filter.js';

/** The fleet options every command that takes `--deploy` has; `argv` below is the command line without node and script. */
export interface FleetFlags {
  deploy?: string;
  deployFile?: string;
  /** Comma-separated globs: only the hosts whose name matches one (as `pmx deploy --hosts`). */
  hosts?: string;
  /** Comma-separated roles: only the hosts having one of them. */
  roles?: string;
}

/** The list views of a fleet. */
export type FleetView = 'ls' | 'jlist' | 'prettylist';

/** `pmx ls|jlist|prettylist --deploy <env>`: one table (or one JSON list) of every host's processes. */
export async function fleetList(ctx: CommandContext, view: FleetView, flags: FleetFlags): Promise<void> {
  await withFleet(ctx, flags, async (fleet) => {
    // what is shown of the hosts' answers is masked; what decides (which host answered) is not
    const results = shownList(fleet, await listEverywhere(fleet));
    if (view === 'ls') {
      ctx.out.write(renderFleetList(results, { color: ctx.color }) + '\n');
    } else {
      const procs = results.flatMap((result) => (result.ok ? result.value : []));
      ctx.out.write((view === 'prettylist' ? inspect(procs, { depth: null, colors: false }) : JSON.stringify(procs)) + '\n');
      // the JSON keeps PM2's shape; hosts that did not answer are said on stderr
      for (const result of results) if (!result.ok) ctx.err.write(`[PMX][WARN] ${result.host}: ${failureText(result)}\n`);
    }
    if (results.every((result) => !result.ok)) process.exitCode = 1;
  });
}

/** `pmx describe <target> --deploy <env>`: each host's description of the target, under the host's name. */
export async function fleetDescribe(ctx: CommandContext, argv: readonly string[], flags: FleetFlags): Promise<void> {
  await withFleet(ctx, flags, async (fleet) => {
    const results = await runEverywhere(fleet, remoteWords(argv), VIEW_TIMEOUT_MS);
    ctx.out.write(renderPerHost(shownResults(results, fleet.mask)) + '\n');
    // as the actions and logs: a script learns that a host's description is missing
    if (!results.every((result) => result.ok && result.value.code === 0)) process.exitCode = 1;
  });
}

/** `pmx <start|stop|restart|reload|save> ... --deploy <env>`: the command on every host at once, each host's outcome, then the merged table. */
export async function fleetAction(ctx: CommandContext, command: string, argv: readonly string[], flags: FleetFlags): Promise<void> {
  await withFleet(ctx, flags, async (fleet) => {
    const results = await runEverywhere(fleet, remoteWords(argv));
    for (const line of renderActionLines(shownResults(results, fleet.mask))) ctx.out.write(line + '\n');
    const summary = renderActionSummary(command, fleet.environment.name, results);
    const allDone = results.every(actionSucceeded);
    (allDone ? ctx.out : ctx.err).write(summary + '\n');
    ctx.out.write(renderFleetList(shownList(fleet, await listEverywhere(fleet)), { color: ctx.color }) + '\n');
    if (!allDone) process.exitCode = 1;
  });
}

/**
 * `pmx logs ... --deploy <env>`: every host's logs at once, each line prefixed with its host (a
 * `host` field with --json), until Ctrl-C. --grep and --since are checked here before any host is
 * contacted, and --since goes to every host as one instant (a duration is counted from now, here).
 */
export async function fleetLogs(ctx: CommandContext, argv: readonly string[], flags: FleetFlags & { grep?: string; since?: string }): Promise<void> {
  const filter = parseLogFilter(flags);
  await withFleet(ctx, flags, async (fleet) => {
    for (const host of fleet.hosts) if (!host.connection) ctx.err.write(hostLine(host.host, `[PMX][ERROR] ${failureText({ failure: 'unreachable', reason: host.reason })}`) + '\n');
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const words = filter.since ? replaceOptionValue(remoteWords(argv), '--since', filter.since.toISOString()) : remoteWords(argv);
    const json = words.includes('--json');
    // every line a host prints goes out with the values the hosts hold masked (a JSON entry field by field)
    const print = ({ host, stream, line }: HostLine): void => {
      if (json && stream === 'out') ctx.out.write(hostJsonLine(host, line, fleet.mask.apply) + '\n');
      else (stream === 'out' ? ctx.out : ctx.err).write(hostLine(host, fleet.mask.apply(line)) + '\n');
    };
    const results = shownResults(await followEverywhere(fleet, words, print, stop), fleet.mask);
    const connected = new Set(fleet.hosts.flatMap((host) => (host.connection ? [host.host] : [])));
    for (const result of results) if (!result.ok && connected.has(result.host)) ctx.err.write(hostLine(result.host, `[PMX][ERROR] ${failureText(result)}`) + '\n');
    for (const result of results) if (result.ok && !result.value.stopped && result.value.code !== 0) ctx.err.write(hostLine(result.host, `[PMX] logs ended (exit ${result.value.code})`) + '\n');
    // as the actions: a host whose logs could not be read fails the command (a script reading --nostream sees it)
    if (results.some((result) => !result.ok || (!result.value.stopped && result.value.code !== 0))) process.exitCode = 1;
  });
}

// reads the environment and selects its hosts (errors name file, environment and key), connects
// every selected host, runs body, disconnects
async function withFleet(ctx: CommandContext, flags: FleetFlags, body: (fleet: Fleet) => Promise<void>): Promise<void> {
  if (flags.deploy === undefined && flags.deployFile === undefined) {
    const flag = flags.hosts !== undefined ? '--hosts' : '--roles';
    throw new CliError(`${flag} selects hosts of a deploy environment, and no environment was given`, { code: 'BAD_ARGUMENT', hint: `add --deploy <environment>, e.g. pmx ls --deploy production ${flag} ${flag === '--hosts' ? "'web*'" : 'web'}` });
  }
  const file = flags.deployFile ? resolve(flags.deployFile) : findEcosystemFile(process.cwd());
  if (!file) throw new CliError(`--deploy needs an ecosystem file with a deploy section; none in ${process.cwd()} (looked for ${DEFAULT_FILES.join(', ')})`, { code: 'BAD_ARGUMENT', hint: 'name one: --deploy-file <file>' });
  const select = { hosts: splitList(flags.hosts), roles: splitList(flags.roles) };
  const environment = await loadEnvironment({ file, envName: flags.deploy, parallel: undefined, rolling: undefined, select });
  for (const warning of environment.warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
  const fleet = await openFleet(environment);
  for (const warning of fleet.warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
  try {
    await body(fleet);
  } finally {
    await closeFleet(fleet);
  }
}

// the hosts' processes as shown: every string of each masked, but the host it runs on
function shownList(fleet: Fleet, results: HostResult<FleetProcess[]>[]): HostResult<FleetProcess[]>[] {
  return shownResults(results, fleet.mask, (procs) => procs.map((proc) => ({ ...fleet.mask.deep(proc), host: proc.host })));
}
