// Scripted hosts behind the deploy engine's connection seam (DeployRequest.connect): each host an
// in-memory ScriptedHost, each connection a RemoteConnection that runs commands on it, and faults
// a test injects by host and phase (the `label` every command carries): a command that fails, a
// connection lost during a phase (with the host gone for good, or back for a reconnect), a command
// held until the test lets it go or the run's interrupt stops it. `runPmx` runs a real pmx command
// (runDeploy, the flow, the phases, the builders) against them; only ssh2 is left out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBundle } from '../../../cli/deploy/bundle.js';
import { readDeployEnvironment } from '../../../cli/deploy/config.js';
import type { DeployEvent, HostOutcome, PhaseName } from '../../../cli/deploy/events.js';
import { Interruption } from '../../../cli/deploy/interrupt.js';
import { runDeploy, type DeployRequest, type DeployResult } from '../../../cli/deploy/run.js';
import type { HostTarget } from '../../../cli/deploy/types.js';
import { TransportError, type ExecOptions, type ExecResult, type RemoteConnection } from '../../../cli/transport/types.js';
import { LOCKED, PROBED, SKIPPED } from '../../../cli/deploy/lock.js';
import { ScriptedHost, type Ended } from './scripted-host.js';
import { LIVE_MARKS } from '../../../cli/deploy/remote-live-types.js';

/** A fault at one host's phase. */
type Fault =
  | { kind: 'fail'; output: string }
  | { kind: 'drop'; after: boolean; gone: boolean }
  | { kind: 'hold'; reached: () => void; released: Promise<void> };

/** A switch of `current` or a reload of the app on a host, in the order the hosts saw them. */
export interface Change {
  host: string;
  phase: string;
  current: string | null;
  serving: string | null;
}

/** A set of scripted hosts and the faults injected in them. */
export class ScriptedFleet {
  readonly hosts: ScriptedHost[];
  /** Every change of `current` or of the served release, fleet-wide, in order. */
  readonly changes: Change[] = [];
  private readonly faults = new Map<string, Fault>();
  private connections = 0;

  constructor(labels: string[], options: { base?: string; sha?: string } = {}) {
    const bundle = findBundle()?.sha256 ?? '';
    this.hosts = labels.map((label) => new ScriptedHost(label, { base: options.base ?? '/srv/app', sha: options.sha ?? sha('1'), bundle }));
  }

  host(label: string): ScriptedHost {
    const host = this.hosts.find((candidate) => candidate.label === label);
    if (!host) throw new Error(`no scripted host ${label}`);
    return host;
  }

  /** A new commit on the origin: every host's fetch resolves the ref to it. */
  push(commit: string): void {
    for (const host of this.hosts) host.sha = commit;
  }

  /** Every command `host` runs for `phase` exits 1 with `output`. */
  failAt(host: string, phase: PhaseName, output = `${phase} broke on ${host}`): void {
    this.faults.set(`${host}/${phase}`, { kind: 'fail', output });
  }

  /** The connection to `host` is lost during its next command of `phase` (once that command ran, with `after`); `gone`: the host takes no new connection. */
  dropAt(host: string, phase: PhaseName, options: { after?: boolean; gone?: boolean } = {}): void {
    this.faults.set(`${host}/${phase}`, { kind: 'drop', after: options.after ?? false, gone: options.gone ?? false });
  }

  /** The next command `host` runs for `phase` waits: `reached` resolves when it does, `release()` lets it run (the run's interrupt stops it, when the phase can be stopped). */
  holdAt(host: string, phase: PhaseName): { reached: Promise<void>; release: () => void } {
    let reached: () => void = () => undefined;
    let release: () => void = () => undefined;
    const at = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.faults.set(`${host}/${phase}`, { kind: 'hold', reached, released });
    return { reached: at, release };
  }

  /** The seam: opens a scripted connection to the target's host. */
  readonly connect = async (target: HostTarget, signal?: AbortSignal): Promise<RemoteConnection> => {
    await tick();
    const host = this.host(target.label);
    if (signal?.aborted) throw new TransportError('interrupted while connecting', { code: 'INTERRUPTED', host: target.label });
    if (host.down) throw new TransportError(`connection refused (is sshd running, on port ${target.port}?)`, { code: 'CONNECT_REFUSED', host: target.label });
    return new ScriptedConnection(target, ++this.connections, host, this);
  };

  /** The fault at `host`'s `phase` (a drop or a hold happens once). */
  take(host: string, phase: string): Fault | null {
    const fault = this.faults.get(`${host}/${phase}`) ?? null;
    if (fault && fault.kind !== 'fail') this.faults.delete(`${host}/${phase}`);
    return fault;
  }

  /** Notes what a command changed on the host. */
  observe(host: ScriptedHost, phase: string, before: { current: string | null; serving: string | null }): void {
    if (host.currentRelease !== before.current || host.serving !== before.serving) this.changes.push({ host: host.label, phase, current: host.currentRelease, serving: host.serving });
  }
}

/** One session to a scripted host. */
class ScriptedConnection implements RemoteConnection {
  private lost: TransportError | null = null;
  /** Commands still running on the session (the lock's, the live one), told when it goes. */
  private readonly onLost = new Set<(error: TransportError) => void>();

  constructor(
    readonly target: HostTarget,
    private readonly id: number,
    private readonly host: ScriptedHost,
    private readonly fleet: ScriptedFleet,
  ) {}

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    await tick();
    if (this.lost) throw this.lost;
    const label = options.label ?? '';
    const checking = this.host.checkParts(command);
    if (checking) return this.checkLock(checking, options);
    const live = this.host.liveParts(command);
    if (live) return this.live(live, options);
    const fault = this.fleet.take(this.host.label, label);
    if (fault?.kind === 'hold') await this.held(fault, options.signal);
    if (options.signal?.aborted) throw this.interrupted();
    if (command.includes(LOCKED)) return this.holdLock(command, options, '');
    await drain(options.stdin);
    const result = this.step(label, command, fault);
    if (result.stdout) options.onStdout?.(result.stdout);
    if (result.stderr) options.onStderr?.(result.stderr);
    return { ...result, signal: null };
  }

  async close(): Promise<void> {
    this.lose(false, 'connection already closed by pmx');
  }

  // one part of a command, run for `phase` with its fault: fails, or the session is lost before or after it ran
  private step(phase: string, command: string, fault: Fault | null): Ended {
    if (fault?.kind === 'fail') return { code: 1, stdout: '', stderr: `${fault.output}\n` };
    if (fault?.kind === 'drop' && !fault.after) throw this.lose(fault.gone);
    const before = { current: this.host.currentRelease, serving: this.host.serving };
    const result = this.host.run(command, phase);
    this.fleet.observe(this.host, phase, before);
    if (fault?.kind === 'drop') throw this.lose(fault.gone);
    return result;
  }

  // check+lock in one command (lock.ts attemptCommand): the probe's output and PROBED, then the lock taken where the guard holds
  private async checkLock(parts: { probe: string; holding: string }, options: ExecOptions): Promise<ExecResult> {
    const fault = this.fleet.take(this.host.label, 'check');
    if (fault?.kind === 'hold') await this.held(fault, options.signal);
    if (options.signal?.aborted) throw this.interrupted();
    const probed = this.step('check', parts.probe, fault);
    if (probed.code !== 0) return this.ended(probed, options);
    const said = `${probed.stdout}${PROBED}\n`;
    options.onStdout?.(said);
    if (!this.host.passesGuard()) {
      options.onStdout?.(`${SKIPPED}\n`);
      await drain(options.stdin);
      return { code: 0, signal: null, stdout: `${said}${SKIPPED}\n`, stderr: '' };
    }
    const locking = this.fleet.take(this.host.label, 'lock');
    if (locking?.kind === 'hold') await this.held(locking, options.signal);
    if (options.signal?.aborted) throw this.interrupted();
    if (locking?.kind === 'fail') return this.ended({ code: 1, stdout: said, stderr: `${locking.output}\n` }, options, '');
    if (locking?.kind === 'drop') throw this.lose(locking.gone);
    return this.holdLock(parts.holding, options, said);
  }

  // the lock lives as long as the command holding it: until its stdin closes or the session goes
  private async holdLock(command: string, options: ExecOptions, said: string): Promise<ExecResult> {
    const first = this.host.lockCommand(command, this.id);
    options.onStdout?.(first.stdout);
    // a refusal's exit status comes after its output, as a channel's does (the other hosts' commands go on meanwhile)
    if (first.code !== 0) return (await tick(), { ...first, stdout: `${said}${first.stdout}`, signal: null });
    return new Promise((resolve, reject) => {
      const unlock = (): void => {
        if (this.host.lockedBy === this.id) this.host.lockedBy = null;
      };
      const lost = (error: TransportError): void => (unlock(), reject(error));
      this.onLost.add(lost);
      // heartbeats are read and dropped; the end of stdin releases the lock
      listen(options.stdin, () => undefined, () => (this.onLost.delete(lost), unlock(), resolve({ code: 0, signal: null, stdout: `${said}${first.stdout}`, stderr: '' })));
    });
  }

  // the live command (remote-live.ts): the switch (publish), then on the go read from stdin the hook
  // (post-deploy) and, when it records, the ledger line and the read back (finish)
  private async live(parts: { marker: string; publish: string; hook: string; records: boolean }, options: ExecOptions): Promise<ExecResult> {
    const { marker } = parts;
    let stdout = '';
    const say = (text: string): void => {
      stdout += text;
      if (text) options.onStdout?.(text);
    };
    // stdin is read as it comes, from the start, as a channel buffers it for the shell
    const go = this.readGo(options.stdin);
    go.catch(() => undefined);
    const publishing = this.fleet.take(this.host.label, 'publish');
    if (publishing?.kind === 'hold') await this.held(publishing, undefined);
    const switched = this.step('publish', parts.publish, publishing);
    if (switched.code !== 0) return this.ended(switched, options);
    say(`${switched.stdout}${marker}=${LIVE_MARKS.switched}\n`);
    const input = await go;
    if (input === null) return { code: 0, signal: null, stdout, stderr: '' };
    const posting = this.fleet.take(this.host.label, 'post-deploy');
    if (posting?.kind === 'hold') await this.held(posting, undefined);
    const hook = this.step('post-deploy', parts.hook, posting);
    if (hook.code !== 0) return this.ended({ ...hook, stdout: `${stdout}${hook.stdout}` }, options, hook.stdout);
    say(`${hook.stdout}${marker}=${LIVE_MARKS.posted}\n`);
    if (!parts.records) return { code: 0, signal: null, stdout, stderr: '' };
    const finishing = this.fleet.take(this.host.label, 'finish');
    if (finishing?.kind === 'drop' && !finishing.after) throw this.lose(finishing.gone);
    if (finishing?.kind === 'fail') say(`${marker}=${LIVE_MARKS.unrecorded} ${finishing.output}\n`);
    else {
      this.host.recordLine(input);
      say(`${marker}=${LIVE_MARKS.recorded}\n`);
    }
    say(`${marker}=${LIVE_MARKS.state}\n${this.host.state()}`);
    if (finishing?.kind === 'drop') throw this.lose(finishing.gone);
    return { code: 0, signal: null, stdout, stderr: '' };
  }

  // the live command's `read`s: the go, then the ledger line; null when stdin closed (or said something else) first, as `|| exit 0` does
  private readGo(stdin: ExecOptions['stdin']): Promise<string | null> {
    return new Promise((resolve, reject) => {
      let seen = '';
      let done = false;
      const lost = (error: TransportError): void => finish(() => reject(error));
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        this.onLost.delete(lost);
        settle();
      };
      this.onLost.add(lost);
      listen(
        stdin,
        (chunk) => {
          seen += chunk;
          const lines = seen.split('\n');
          if (lines.length > 1 && lines[0] !== 'go') finish(() => resolve(null));
          else if (lines.length > 2) finish(() => resolve(lines[1]!));
        },
        () => finish(() => resolve(null)),
      );
    });
  }

  // a command that ended with an error status: `streamed` (what it printed that was not streamed yet) and its stderr come out of the channel
  private ended(result: Ended, options: ExecOptions, streamed = result.stdout): ExecResult {
    if (streamed) options.onStdout?.(streamed);
    if (result.stderr) options.onStderr?.(result.stderr);
    return { ...result, signal: null };
  }

  private held(fault: Extract<Fault, { kind: 'hold' }>, signal: AbortSignal | undefined): Promise<void> {
    fault.reached();
    return new Promise((resolve, reject) => {
      const stop = (): void => reject(this.interrupted());
      signal?.addEventListener('abort', stop, { once: true });
      void fault.released.then(() => (signal?.removeEventListener('abort', stop), resolve()));
    });
  }

  // the session is gone: the host lets go of its lock, every command on it fails from now on
  private lose(gone: boolean, why = 'connection lost while a command ran'): TransportError {
    this.lost ??= new TransportError(why, { code: 'CONNECTION_LOST', host: this.target.label });
    if (gone) this.host.down = true;
    if (this.host.lockedBy === this.id) this.host.lockedBy = null;
    for (const lost of [...this.onLost]) lost(this.lost);
    this.onLost.clear();
    return this.lost;
  }

  private interrupted(): TransportError {
    return new TransportError('interrupted; the command was stopped', { code: 'INTERRUPTED', host: this.target.label });
  }
}

/** A 40-hex sha made of one repeated digit or letter (`sha('2')`: 2222...). */
export function sha(digit: string): string {
  return digit.repeat(40);
}

/** A release name as pmx gives it, for seeding: `2025010<day>T000000000Z-<sha>`. */
export function seededRelease(day: number, commit: string): string {
  return `202501${String(day).padStart(2, '0')}T000000000Z-${commit.slice(0, 7)}`;
}

/** A run's result with its events, by host. */
export interface Run extends DeployResult {
  events: DeployEvent[];
  byHost: Record<string, HostOutcome>;
}

const home = mkdtempSync(join(tmpdir(), 'pmx-scripted-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Points deploy at a bundle of a few bytes (PMX_BUNDLE_FILE): hashing the real one costs every run 20 ms, and scripted hosts run no pmx. */
export function useTinyBundle(): void {
  const file = join(home, 'pmx.cjs');
  writeFileSync(file, '// a pmx bundle for scripted hosts\n');
  process.env.PMX_BUNDLE_FILE = file;
}

/** Runs a pmx deploy command on the fleet: the environment `production` on every host with `settings` over the defaults (git strategy, a post-deploy hook). */
export async function runPmx(fleet: ScriptedFleet, settings: Record<string, unknown>, request: Partial<Omit<DeployRequest, 'emit' | 'connect'>> & { onEvent?: (event: DeployEvent) => void } = {}): Promise<Run> {
  const file = join(home, 'ecosystem.config.js');
  const section = { user: 'deploy', host: fleet.hosts.map((host) => host.label), repo: 'git@example.com:app.git', ref: 'origin/main', path: fleet.hosts[0]!.base, 'post-deploy': 'pmx startOrReload ecosystem.config.js', ...settings };
  const environment = readDeployEnvironment({ production: section }, 'production', file, { home, env: { USER: 'tester' } });
  const events: DeployEvent[] = [];
  const { onEvent, ...rest } = request;
  const result = await runDeploy(
    {
      file,
      envName: 'production',
      command: 'deploy',
      force: true,
      interruption: new Interruption(),
      ...rest,
      connect: fleet.connect,
      emit: (event) => (events.push(event), onEvent?.(event)),
    },
    environment,
  );
  return { ...result, events, byHost: Object.fromEntries(result.outcomes.map((outcome) => [outcome.host, outcome])) };
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Delivers a command's stdin as it comes, as an SSH channel does: each write to `data`, then `end` once it is closed (at once for none, or a string or buffer). */
function listen(stdin: ExecOptions['stdin'], data: (chunk: string) => void, end: () => void): void {
  if (stdin === undefined) return end();
  if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) {
    data(String(stdin));
    return end();
  }
  stdin.on('data', (chunk: Buffer | string) => data(String(chunk)));
  stdin.once('end', end);
  stdin.resume();
}

async function drain(stdin: ExecOptions['stdin']): Promise<void> {
  if (stdin === undefined || typeof stdin === 'string' || Buffer.isBuffer(stdin)) return;
  for await (const chunk of stdin) void chunk;
}
