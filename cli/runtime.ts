// The agent in the foreground (`pmx --no-daemon`, `pmx-runtime [file] [--resurrect]`): for init
// systems (Type=simple, the boot hook resurrects the saved apps) and for containers (the apps of a
// file, their output on stdout/stderr, and an exit code that tells the orchestrator to restart).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveHome, type AgentHome } from '../agent/protocol/home.js';
import { metricsAddressFrom, runAgent, type RunningAgent } from '../agent/main.js';
import { followAllOutput, type ProcessOutputListener } from '../agent/log-bus.js';
import { isDormant } from '../agent/process/states.js';
import type { SupervisedProcess } from '../agent/process/supervised.js';
import type { HomeLock } from '../agent/lock.js';
import type { EndpointAddress } from '../agent/metrics/endpoint.js';
import type { AgentPhase } from '../agent/health/probe-endpoint.js';
import { connectAgent } from './client/agent.js';
import { reportError } from './output/errors.js';
import { formatRecovery } from './output/recovery.js';
import { skippedNote } from './output/resurrect.js';

/** The exit code once every app is dead: non-zero, so that Docker and Kubernetes restart us. */
export const EXIT_ALL_DEAD = 1;

export interface RuntimeOptions {
  file: string | null;
  envName: string | undefined;
  /** Start the apps saved by `pmx save` (the boot hook); an agent already running is waited for (see runtime-home.ts). */
  resurrect?: boolean;
  /** App output on this process's stdout/stderr: prefixed with `id|name | `, raw, or not at all. */
  appLogs?: 'prefixed' | 'raw' | 'none';
  /** End with EXIT_ALL_DEAD once no app is running any more (containers). */
  exitWhenAllDead?: boolean;
  /** Serve /livez and /readyz here (`--health-port`, `--health-host`), before any app starts. */
  probes?: EndpointAddress | null;
  /** A command line run against this agent once it answers (`pmx start app.js --no-daemon`); its failure stops the agent. */
  command?: () => Promise<void>;
}

/** Runs the agent in this process, in the home whose lock `lock` holds; it ends when the agent is killed or signalled, or every app died. */
export async function runForeground(options: RuntimeOptions, lock: HomeLock): Promise<void> {
  const home = resolveHome();
  const sampleIntervalMs = Number(process.env.PMX_SAMPLE_INTERVAL_MS) || 1000;
  const agent = await runAgent({ home, foreground: true, readyFd: null, sampleIntervalMs, metricsAddress: metricsAddressFrom(process.env), lock, resurrect: options.resurrect === true });
  try {
    if (agent.recovered) process.stderr.write(formatRecovery(agent.recovered, process.pid, home.logFile));
    const appLogs = options.appLogs ?? 'none';
    if (appLogs !== 'none') followAllOutput(agent.registry, printOutput(appLogs));
    if (process.pid === 1) reportZombies(agent, sampleIntervalMs);
    let started = false;
    if (options.probes) await serveProbeEndpoint(agent, options.probes, () => started);
    if (options.resurrect) reportResurrect(home, agent.resurrected);
    if (options.file) await startFile(home, options.file, options.envName);
    if (options.command) await options.command();
    started = true;
    if (options.exitWhenAllDead) exitWhenAllDead(agent);
  } catch (error) {
    // the agent runs in this process: stop what it started rather than leave orphans behind
    reportError(error, process.stderr);
    await agent.stop(1);
  }
}

/** Says what the boot hook's resurrect did; a dump that cannot be used is reported, and the agent keeps running. */
function reportResurrect(home: AgentHome, resurrected: RunningAgent['resurrected']): void {
  if (resurrected instanceof Error) {
    // a boot hook must not fail (and be restarted forever) because nothing was saved yet
    if (resurrected.code === 'DUMP_MISSING') process.stderr.write(`[PMX] Nothing saved in ${home.dump}: no app to resurrect ('pmx save' saves the running list)\n`);
    else reportError(resurrected, process.stderr);
    return;
  }
  if (!resurrected) return;
  for (const warning of resurrected.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
  const { processes, file, alreadyPresent, alreadyStopped } = resurrected;
  const skipped = skippedNote(alreadyPresent, alreadyStopped);
  process.stderr.write(`[PMX] Resurrected ${processes.length} process${processes.length === 1 ? '' : 'es'} from ${file}${skipped}\n`);
}

/** Serves /livez and /readyz; /readyz stays 503 until the apps were asked to start. A port that cannot be had throws, before any app starts. */
async function serveProbeEndpoint(agent: RunningAgent, address: EndpointAddress, started: () => boolean): Promise<void> {
  const { serveProbes } = await import('../agent/health/probe-endpoint.js');
  const phase = (): AgentPhase => (agent.stopping() ? 'stopping' : started() ? 'running' : 'starting');
  const bound = await serveProbes(agent.registry, phase, address, (line) => process.stderr.write(`[PMX][WARN] ${line}\n`));
  const reach = isLoopback(bound.host) ? 'this machine only' : 'no authentication: whoever reaches it learns the names and states of the apps that are not ready';
  process.stderr.write(`[PMX] Health probes on http://${formatHost(bound.host)}:${bound.port}/livez and /readyz (${reach})\n`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function startFile(home: AgentHome, file: string, envName: string | undefined): Promise<void> {
  const { loadEcosystem } = await import('./ecosystem/index.js');
  const loaded = await loadEcosystem(file, { envName, baseEnv: process.env });
  for (const warning of loaded.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
  const agent = await connectAgent(home, { spawn: false });
  if (!agent) throw new Error(`the agent in this process does not answer on ${home.socket}`);
  try {
    await agent.call('start', { apps: loaded.apps, mode: 'start', updateEnv: false });
  } finally {
    agent.close();
  }
}

/** Writes each app's lines to our stdout (its stdout) or stderr (its stderr). */
function printOutput(mode: 'prefixed' | 'raw'): ProcessOutputListener {
  // a reader that went away must not take the agent down with it
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  return (proc, stream, text) => {
    const out = stream === 'out' ? process.stdout : process.stderr;
    if (mode === 'raw') {
      out.write(text);
      return;
    }
    const prefix = `${proc.id}|${proc.spec.name} | `;
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    out.write(`${prefix}${body.split('\n').join(`\n${prefix}`)}\n`);
  };
}

/** Stops the agent with EXIT_ALL_DEAD once no process is running or about to (checked on every change). */
function exitWhenAllDead(agent: RunningAgent): void {
  const check = (): void => {
    if (agent.stopping()) return; // a signal or `pmx kill`: the agent exits 0 by itself
    const all = agent.registry.all();
    if (all.some((proc) => !isDormant(proc.status))) return;
    const states = all.map((proc) => `${proc.spec.name} ${proc.status}`).join(', ') || 'no process left';
    process.stderr.write(`[PMX] No app is running any more (${states}): exiting with code ${EXIT_ALL_DEAD}\n`);
    void agent.stop(EXIT_ALL_DEAD);
  };
  // checked after the current turn: the answer to a `pmx stop` that stopped the last app goes out first
  const later = (): void => void setImmediate(check);
  const watch = (proc: SupervisedProcess): void => {
    proc.on('status', later);
    proc.once('removed', later);
  };
  for (const proc of agent.registry.all()) watch(proc);
  agent.registry.added.add(watch);
  check();
}

/**
 * As PID 1 (a container without --init) we inherit every orphan of the apps' trees, and Node can
 * reap only the children it started itself: it has no waitpid(-1). So orphans that exit stay
 * zombies. The `pmx-runtime` command keeps a shell in front as PID 1 that reaps them (bin/pmx-runtime);
 * when Node itself was made PID 1 this cannot be fixed from Node: it is reported, with the fix.
 */
function reportZombies(agent: RunningAgent, intervalMs: number): void {
  process.stderr.write('[PMX] pmx-runtime is PID 1: it stops the apps on SIGTERM/SIGINT, but cannot reap the orphans they leave (start it as pmx-runtime, whose shell reaps them, or run the container with --init)\n');
  const seen = new Set<number>();
  const reported = new Set<number>();
  setInterval(() => {
    const ours = new Set(agent.registry.all().map((proc) => proc.pid));
    // seen at two scans in a row: our own children are reaped by Node in between
    const zombies = zombieChildren(process.pid).filter((pid) => !ours.has(pid));
    const lasting = zombies.filter((pid) => seen.has(pid) && !reported.has(pid));
    seen.clear();
    for (const pid of zombies) seen.add(pid);
    if (lasting.length === 0) return;
    for (const pid of lasting) reported.add(pid);
    process.stderr.write(
      `[PMX][WARN] ${lasting.length} orphaned process${lasting.length === 1 ? ' has' : 'es have'} exited and cannot be reaped (pid ${lasting.join(', ')}): ` +
        'Node has no waitpid(-1). Start pmx-runtime itself rather than node (its shell reaps), or run the container with an init that reaps: docker run --init\n',
    );
  }, intervalMs).unref();
}

/** Pids of zombie processes whose parent is `parent`, read from /proc. */
function zombieChildren(parent: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'latin1');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === parent) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}
