// One ssh2 connection to one host (through its jump hosts, if any), verified against known_hosts
// and kept for a whole run; commands run on it concurrently, each on its own channel, the next
// command's channel opened ahead of it. Hosts behind the same jump host share one connection to it
// when they are opened with the same `jumps`.
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import type { HostTarget } from './host-target.js';
import { exportEnv } from './quote.js';
import { preferredHostKeyAlgorithms } from './known-hosts.js';
import { checkHostKey } from './host-key-policy.js';
import { planAuth, type AuthPlan } from './keys.js';
import { JumpHosts, type JumpLease } from './jump-hosts.js';
import { killGroupCommand, killableCommand, runOnChannel, type ChannelFailure } from './exec-channel.js';
import { execOnSpare, isOpen, openSpareChannel } from './spare-channel.js';
import { signAtOnce } from './sign-at-once.js';
import { traceClock, traceOp } from './trace.js';
import { TransportError, type ExecOptions, type ExecResult, type RemoteConnection } from './types.js';

/** Channels open at once per connection, besides the one opened ahead; sshd refuses more than MaxSessions (10 by default). */
const MAX_CHANNELS = 8;
/** Refused channel opens a command retries (with a growing pause) before failing. */
const MAX_REFUSALS = 5;

/** What the caller adds to a target when connecting. */
export interface OpenOptions {
  /** Asked for the passphrase of an encrypted key (on a TTY); without it such keys are skipped. */
  promptPassphrase?: (keyFile: string) => Promise<string>;
  /** Aborting it gives up the connection attempt (rejects with INTERRUPTED). */
  signal?: AbortSignal;
  /** The run's jump connections, shared by its hosts; without it each host opens its own. */
  jumps?: JumpHosts<SshConnection>;
}

/** A pool of jump connections for one run's hosts (pass it as `jumps` to every openConnection of the run). */
export function jumpHostsOfRun(): JumpHosts<SshConnection> {
  return new JumpHosts<SshConnection>();
}

/** Connects, verifies the host key and authenticates; rejects with a TransportError naming the host. */
export async function openConnection(target: HostTarget, options: OpenOptions = {}): Promise<RemoteConnection> {
  const connection = await connect(target, options);
  connection.openSpare();
  return connection;
}

async function connect(target: HostTarget, options: OpenOptions): Promise<SshConnection> {
  const via = target.proxyJump;
  if (!via) return handshake(target, options, undefined, null);
  const jumps = options.jumps ?? new JumpHosts<SshConnection>();
  const jump = await jumps.acquire(via, () => connect(via, { ...options, jumps })).catch((error: unknown) => Promise.reject(throughJump(target, error)));
  try {
    const sock = await jump.connection.forward(target).catch((error: unknown) => Promise.reject(throughJump(target, error)));
    return await handshake(target, options, sock, jump);
  } catch (error) {
    await jump.release();
    throw error;
  }
}

function handshake(target: HostTarget, options: OpenOptions, sock: Duplex | undefined, jump: JumpLease<SshConnection> | null): Promise<SshConnection> {
  const where = reachedBy(target);
  const agentSocket = process.env.SSH_AUTH_SOCK || undefined;
  const requested = traceClock();
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyProblem: TransportError | null = null;
    let settled = false;
    const interrupted = (): void => fail(new TransportError('interrupted while connecting', { code: 'INTERRUPTED', host: target.label, address: where }));
    const fail = (error: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', interrupted);
      client.destroy();
      reject(error);
    };
    // one connect timeout from the first packet to a login, which also covers an address with no
    // route; it stops while a person types a passphrase
    const expire = (): void => fail(new TransportError(`no answer within ${target.connectTimeoutMs / 1000} s (ConnectTimeout)`, { code: 'CONNECT_TIMEOUT', host: target.label, address: where }));
    let timer = setTimeout(expire, target.connectTimeoutMs);
    const auth = planAuth(target, agentSocket, { prompt: options.promptPassphrase, pause: () => clearTimeout(timer), resume: () => (timer = setTimeout(expire, target.connectTimeoutMs)) });
    if (!auth.usable) return fail(noKeys(target, where, auth));
    if (options.signal?.aborted) return interrupted();
    options.signal?.addEventListener('abort', interrupted, { once: true });
    client.once('ready', () => {
      // each command is a small write that waits for its answer: Nagle would hold it behind an unacknowledged one
      client.setNoDelay(true);
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', interrupted);
      const ready = traceClock();
      traceOp({ host: target.label, kind: 'connect', label: 'login', requested, ready, end: ready, trips: 0 });
      resolve(new SshConnection(target, client, where, jump));
    });
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (error.level !== 'agent') fail(hostKeyProblem ?? connectError(error, target, where, auth)); // an unusable agent: the next method follows
    });
    client.once('close', () => fail(new TransportError('the server closed the connection during login', { code: 'CONNECTION_LOST', host: target.label, address: where })));
    const config: ConnectConfig = {
      host: target.hostname,
      port: target.port,
      username: target.user,
      readyTimeout: 0, // the timer above, which can stop for a passphrase prompt
      // OpenSSH's rule, which is ssh2's: each interval a probe goes out, and the check that finds
      // more than ServerAliveCountMax of them unanswered gives up (so a dead host is declared
      // within ServerAliveInterval x (ServerAliveCountMax + 1)); one fewer left ServerAliveCountMax=1
      // sending no probe at all, dropping a live host after one quiet interval
      keepaliveInterval: target.keepaliveIntervalMs,
      keepaliveCountMax: target.keepaliveCountMax,
      agent: agentSocket,
      agentForward: target.forwardAgent && agentSocket !== undefined,
      authHandler: auth.handler,
      hostVerifier: (key: Buffer) => {
        hostKeyProblem = checkHostKey(target, key, where);
        return hostKeyProblem === null;
      },
      ...(target.strictHostKeyChecking === 'no' ? {} : { algorithms: { serverHostKey: preferredHostKeyAlgorithms(target.knownHostsFiles, target.hostname, target.port) as ServerHostKeyAlgorithm[] } }),
      ...(sock ? { sock } : {}),
    };
    signAtOnce(client);
    client.connect(config);
  });
}

/** A connection to one host; exported as a type for the jump pool only. */
export class SshConnection implements RemoteConnection {
  private lost: TransportError | null = null;
  private closed = false;
  private open = 0;
  /** Channels allowed at once; lowered when the server refuses one (sshd's MaxSessions). */
  private limit = MAX_CHANNELS;
  private readonly waiting: (() => void)[] = [];
  /** A channel opened ahead for the next command, or null (none yet, or the server refused one). */
  private spare: { opening: Promise<ClientChannel | null>; open: boolean } | null = null;

  constructor(
    readonly target: HostTarget,
    private readonly client: Client,
    private readonly where: string,
    private readonly jump: JumpLease<SshConnection> | null,
  ) {
    client.on('error', (error: Error & { level?: string }) => {
      if (error.level !== 'agent') this.lost ??= new TransportError(`connection lost: ${error.message}`, { code: 'CONNECTION_LOST', host: target.label, address: where });
    });
    client.on('close', () => {
      this.closed = true;
      this.lost ??= new TransportError('connection closed', { code: 'CONNECTION_LOST', host: target.label, address: where });
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const withEnv = options.env && Object.keys(options.env).length > 0 ? `${exportEnv(options.env)} ${command}` : command;
    const full = options.signal ? killableCommand(withEnv) : withEnv;
    const stdin = holdStream(options.stdin);
    try {
      return await this.run(full, { ...options, stdin });
    } catch (error) {
      if (stdin instanceof PassThrough) stdin.destroy();
      throw error;
    }
  }

  private async run(full: string, options: ExecOptions): Promise<ExecResult> {
    for (let refusals = 0; ; refusals++) {
      while (this.open >= this.limit && !this.lost) await new Promise<void>((wake) => this.waiting.push(wake));
      if (this.lost) throw this.lost;
      if (options.signal?.aborted) throw this.interrupted();
      this.open++;
      const requested = traceClock();
      const started = await this.start(full, options);
      if ('result' in started) {
        try {
          return await started.result;
        } finally {
          this.release();
          traceOp({ host: this.target.label, kind: 'exec', label: options.label ?? 'command', requested, ready: started.ready, end: traceClock(), trips: started.trips, ahead: started.ahead });
        }
      }
      this.release();
      // sshd refuses a channel beyond MaxSessions, and for a moment after one closes
      const refused = typeof (started.error as { reason?: unknown }).reason === 'number';
      if (this.lost || !refused || refusals >= MAX_REFUSALS) throw this.lost ?? new TransportError(`cannot open a channel for a command: ${started.error.message}`, { code: 'CONNECTION_LOST', host: this.target.label, address: this.where });
      this.limit = Math.max(1, Math.min(this.limit, this.open));
      await new Promise((wait) => setTimeout(wait, 50 * (refusals + 1)));
    }
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => this.client.destroy(), 2000); // a peer that never answers the goodbye
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.lost ??= new TransportError('connection already closed by pmx', { code: 'CONNECTION_LOST', host: this.target.label, address: this.where });
      this.client.end();
    }).then(() => this.jump?.release());
  }

  /** Whether commands and forwards can still go through it. */
  get usable(): boolean {
    return !this.closed && this.lost === null;
  }

  /** Opens a channel for the next command ahead of it (not on a jump host: it only forwards); after a refusal, commands open their own. */
  openSpare(): void {
    if (this.lost) return;
    const requested = traceClock();
    const spare = {
      open: false,
      opening: openSpareChannel(this.client).then((channel) => {
        spare.open = channel !== null;
        const ready = traceClock();
        if (channel) traceOp({ host: this.target.label, kind: 'open', label: 'spare channel', requested, ready, end: ready, trips: 1 });
        return channel;
      }),
    };
    this.spare = spare;
  }

  /** A stream to `target` through this host (ProxyJump). */
  forward(target: HostTarget): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, target.hostname, target.port, (error, stream) => {
        if (error) reject(new TransportError(`${this.target.label} cannot reach ${target.hostname}:${target.port}: ${error.message}`, { code: 'UNREACHABLE', host: target.label, address: reachedBy(target) }));
        else resolve(stream);
      });
    });
  }

  // the command's listeners go on in ssh2's callback itself: its output and exit can arrive in
  // the same packet read as the confirmation, before any later tick. `trips`: the round trips
  // before it ran (2 with a channel of its own, or a spare that was still opening; 1 on an open spare)
  private async start(command: string, options: ExecOptions): Promise<{ result: Promise<ExecResult>; ready: number; trips: number; ahead: boolean } | { error: Error }> {
    const spare = await this.takeSpare();
    return new Promise((resolve) => {
      const started = (error: Error | undefined, channel?: ClientChannel): void => {
        if (error || !channel) return resolve({ error: error ?? new Error('no channel') });
        const failure = (kind: ChannelFailure): TransportError => {
          if (kind === 'timeout') return new TransportError(`command did not finish within ${options.timeoutMs! / 1000} s; it was killed`, { code: 'TIMEOUT', host: this.target.label, address: this.where });
          if (kind === 'interrupted') return this.interrupted();
          return this.lost ?? new TransportError('connection lost while a command ran', { code: 'CONNECTION_LOST', host: this.target.label, address: this.where });
        };
        resolve({ result: runOnChannel(channel, options, failure, { kill: (pid) => this.killGroup(pid) }), ready: traceClock(), trips: spare?.open ? 1 : 2, ahead: spare !== null });
      };
      if (spare) execOnSpare(this.client, spare.channel, command, started);
      else this.client.exec(command, started);
    });
  }

  // the channel opened ahead, if the server gave one and it is still open; another is opened in its place
  private async takeSpare(): Promise<{ channel: ClientChannel; open: boolean } | null> {
    const spare = this.spare;
    if (!spare) return null;
    this.spare = null;
    const open = spare.open;
    const channel = await spare.opening;
    if (!channel || !isOpen(channel)) return null;
    this.openSpare();
    return { channel, open };
  }

  // a separate command ends the group: sshd signals only the shell, not what it started
  private async killGroup(pid: number): Promise<void> {
    if (this.lost) return;
    await this.exec(killGroupCommand(pid), { timeoutMs: 10_000, label: 'kill' }).catch(() => undefined);
  }

  private interrupted(): TransportError {
    return new TransportError('interrupted; the command was stopped', { code: 'INTERRUPTED', host: this.target.label, address: this.where });
  }

  private release(): void {
    this.open--;
    this.waiting.shift()?.();
  }
}

// A stream given as stdin is read from now on, into a buffer that holds it until the channel is
// open: Node discards a child process's unread stdout when the child exits (a quick `tar -c`).
function holdStream(input: ExecOptions['stdin']): ExecOptions['stdin'] {
  if (!(input instanceof Readable)) return input;
  const held = new PassThrough();
  input.once('error', (error) => held.destroy(error));
  return input.pipe(held);
}

function connectError(error: Error & { level?: string; code?: string }, target: HostTarget, where: string, auth: AuthPlan): TransportError {
  const timeout = (): TransportError => new TransportError(`no answer within ${target.connectTimeoutMs / 1000} s (ConnectTimeout)`, { code: 'CONNECT_TIMEOUT', host: target.label, address: where });
  if (error.level === 'client-authentication') return new TransportError(`authentication refused for ${target.user} (${auth.report()})`, { code: 'AUTH_FAILED', host: target.label, address: where });
  switch (error.code) {
    case 'ECONNREFUSED':
      return new TransportError(`connection refused (is sshd running, on port ${target.port}?)`, { code: 'CONNECT_REFUSED', host: target.label, address: where });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('no route to host', { code: 'UNREACHABLE', host: target.label, address: where });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError(`cannot resolve ${target.hostname}`, { code: 'UNREACHABLE', host: target.label, address: where });
    case 'ETIMEDOUT':
      return timeout();
    default:
      if (/timed out/i.test(error.message)) return timeout();
      return new TransportError(error.message, { code: 'CONNECTION_LOST', host: target.label, address: where });
  }
}

function noKeys(target: HostTarget, where: string, auth: AuthPlan): TransportError {
  const code = auth.unreadable.length > 0 ? 'KEY_UNREADABLE' : 'AUTH_FAILED';
  const hint = 'set `key` in the deploy section, add an IdentityFile, or start ssh-agent';
  return new TransportError(`no key to log in as ${target.user} with (${auth.report()}); ${hint}`, { code, host: target.label, address: where, detail: { unreadable: auth.unreadable } });
}

// a jump host's failure, reported for the host it was meant to reach, keeping its code
function throughJump(target: HostTarget, error: unknown): TransportError {
  if (!(error instanceof TransportError)) return new TransportError(String(error), { code: 'CONNECTION_LOST', host: target.label, address: reachedBy(target) });
  if (error.host === target.label) return error;
  return new TransportError(`through jump host ${error.reachedAs}: ${error.message}`, { code: error.code, host: target.label, address: reachedBy(target), detail: { ...error.detail, jump: error.host } });
}

// how a host is reached, shown after its label in messages: `deploy@10.0.0.1:22 via bastion`
function reachedBy(target: HostTarget): string {
  const address = `${target.user}@${target.hostname}:${target.port}`;
  return target.proxyJump ? `${address} via ${target.proxyJump.label}` : address;
}
