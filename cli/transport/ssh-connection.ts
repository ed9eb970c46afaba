// One ssh2 connection to one host, verified against known_hosts and kept for a whole run; runs
// commands with their output streamed, stdin fed and a time limit.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Client, utils, type AgentAuthMethod, type ClientChannel, type ConnectConfig, type PublicKeyAuthMethod } from 'ssh2';
import type { HostTarget } from '../deploy/types.js';
import { exportEnv } from './quote.js';
import { addHostKey, fingerprint, verifyHostKey } from './known-hosts.js';
import { TransportError, type ExecOptions, type ExecResult, type RemoteConnection } from './types.js';

/** Output kept per stream and command: the end of a long output is what explains a failure. */
const KEEP_BYTES = 1024 * 1024;

export interface OpenOptions {
  /** Asked for the passphrase of an encrypted key (on a TTY); without it such keys are skipped. */
  promptPassphrase?: (keyFile: string) => Promise<string>;
}

/** Connects, verifies the host key and authenticates; rejects with a TransportError naming the host. */
export async function openConnection(target: HostTarget, options: OpenOptions = {}): Promise<RemoteConnection> {
  const sock = target.proxyJump ? await jumpThrough(target, options) : undefined;
  const client = new Client();
  const where = `${target.label} (${target.user}@${target.hostname}:${target.port})`;
  let hostKeyProblem: TransportError | null = null;
  const auth = await authMethods(target, options);
  const config: ConnectConfig = {
    host: target.hostname,
    port: target.port,
    username: target.user,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: target.keepaliveIntervalMs,
    agentForward: target.forwardAgent && Boolean(process.env.SSH_AUTH_SOCK),
    agent: target.useAgent ? process.env.SSH_AUTH_SOCK : undefined,
    authHandler: auth.methods,
    hostVerifier: (key: Buffer) => {
      hostKeyProblem = checkHostKey(target, key, where);
      return hostKeyProblem === null;
    },
    ...(sock ? { sock: sock as unknown as Readable } : {}),
  };
  return new Promise((resolve, reject) => {
    // a connect timeout that also covers an address with no route (ssh2's readyTimeout starts later)
    const timer = setTimeout(() => {
      client.destroy();
      reject(new TransportError('CONNECT_TIMEOUT', target.label, `${where}: no answer within ${target.connectTimeoutMs / 1000} s`));
    }, target.connectTimeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(new SshConnection(target, client, where));
    });
    client.once('error', (error: Error & { level?: string; code?: string }) => {
      clearTimeout(timer);
      client.destroy();
      reject(hostKeyProblem ?? connectError(error, target, where, auth.tried));
    });
    client.connect(config);
  });
}

class SshConnection implements RemoteConnection {
  private lost: TransportError | null = null;

  constructor(
    readonly target: HostTarget,
    private readonly client: Client,
    private readonly where: string,
  ) {
    client.on('error', (error) => (this.lost ??= new TransportError('CONNECTION_LOST', target.label, `${where}: connection lost: ${error.message}`)));
    client.on('close', () => (this.lost ??= new TransportError('CONNECTION_LOST', target.label, `${where}: connection closed`)));
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.lost) return Promise.reject(this.lost);
    const full = options.env && Object.keys(options.env).length > 0 ? `${exportEnv(options.env)} ${command}` : command;
    return new Promise((resolve, reject) => {
      this.client.exec(full, (error, channel) => {
        if (error) return reject(new TransportError('CONNECTION_LOST', this.target.label, `${this.where}: cannot run a command: ${error.message}`));
        this.collect(channel, options, resolve, reject);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
      if (this.lost) resolve();
    });
  }

  private collect(channel: ClientChannel, options: ExecOptions, resolve: (result: ExecResult) => void, reject: (error: Error) => void): void {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const keep = (text: string, chunk: string): string => (text.length + chunk.length > KEEP_BYTES ? (text + chunk).slice(-KEEP_BYTES) : text + chunk);
    const timer = options.timeoutMs
      ? setTimeout(() => {
          settled = true;
          channel.close();
          reject(new TransportError('TIMEOUT', this.target.label, `${this.where}: command did not finish within ${options.timeoutMs! / 1000} s`));
        }, options.timeoutMs)
      : null;
    channel.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stdout = keep(stdout, text);
      options.onStdout?.(text);
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = keep(stderr, text);
      options.onStderr?.(text);
    });
    channel.on('close', (code?: number | null, signal?: string | null) => {
      if (timer) clearTimeout(timer);
      if (settled) return;
      settled = true;
      // a channel closed without an exit status: the connection went away under it
      if (code == null && signal == null) {
        reject(this.lost ?? new TransportError('CONNECTION_LOST', this.target.label, `${this.where}: connection lost while running a command`));
        return;
      }
      resolve({ code: code ?? -1, signal: signal ?? null, stdout, stderr });
    });
    const input = options.stdin;
    if (input === undefined) channel.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) channel.end(input);
    else (input as Readable).pipe(channel);
  }
}

function checkHostKey(target: HostTarget, key: Buffer, where: string): TransportError | null {
  if (target.strictHostKeyChecking === 'no') return null;
  const verdict = verifyHostKey(target.knownHostsFiles, target.hostname, target.port, key);
  const print = fingerprint(key);
  switch (verdict.kind) {
    case 'match':
      return null;
    case 'unknown': {
      const file = target.knownHostsFiles[0];
      if (target.strictHostKeyChecking === 'accept-new' && file) {
        addHostKey(file, target.hostname, target.port, key);
        return null;
      }
      return new TransportError('HOST_KEY_UNKNOWN', target.label, `${where}: host key ${print} is not in ${target.knownHostsFiles.join(', ') || 'any known_hosts file'}. Check the fingerprint, then add it: ssh-keyscan -p ${target.port} ${target.hostname} >> ${file ?? '~/.ssh/known_hosts'}`, { fingerprint: print });
    }
    case 'mismatch':
      return new TransportError('HOST_KEY_MISMATCH', target.label, `${where}: host key ${print} does not match ${verdict.file}:${verdict.line}. If the host was reinstalled, remove that line; otherwise someone may be in the middle.`, { fingerprint: print, file: verdict.file, line: verdict.line });
    case 'revoked':
      return new TransportError('HOST_KEY_MISMATCH', target.label, `${where}: host key ${print} is revoked in ${verdict.file}:${verdict.line}`, { fingerprint: print });
  }
}

type AuthMethod = PublicKeyAuthMethod | AgentAuthMethod;

async function authMethods(target: HostTarget, options: OpenOptions): Promise<{ methods: AuthMethod[]; tried: string[] }> {
  const methods: AuthMethod[] = [];
  const tried: string[] = [];
  for (const file of target.keyFiles) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (error) {
      tried.push(`${file} (unreadable: ${(error as NodeJS.ErrnoException).code})`);
      continue;
    }
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      if (!options.promptPassphrase) {
        tried.push(`${file} (encrypted, no passphrase prompt)`);
        continue;
      }
      const passphrase = await options.promptPassphrase(file);
      parsed = utils.parseKey(data, passphrase);
      if (parsed instanceof Error) {
        tried.push(`${file} (wrong passphrase)`);
        continue;
      }
      methods.push({ type: 'publickey', username: target.user, key: data, passphrase });
    } else if (parsed instanceof Error) {
      tried.push(`${file} (not a private key: ${parsed.message})`);
      continue;
    } else {
      methods.push({ type: 'publickey', username: target.user, key: data });
    }
    tried.push(file);
  }
  if (target.useAgent && process.env.SSH_AUTH_SOCK) {
    methods.push({ type: 'agent', username: target.user, agent: process.env.SSH_AUTH_SOCK });
    tried.push('ssh-agent');
  }
  return { methods, tried };
}

function connectError(error: Error & { level?: string; code?: string }, target: HostTarget, where: string, tried: string[]): TransportError {
  if (error.level === 'client-authentication') {
    return new TransportError('AUTH_FAILED', target.label, `${where}: authentication refused (tried: ${tried.join(', ') || 'no usable key'})`, { tried });
  }
  switch (error.code) {
    case 'ECONNREFUSED':
      return new TransportError('CONNECT_REFUSED', target.label, `${where}: connection refused (is sshd running?)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('UNREACHABLE', target.label, `${where}: no route to host`);
    case 'ETIMEDOUT':
      return new TransportError('CONNECT_TIMEOUT', target.label, `${where}: no answer within ${target.connectTimeoutMs / 1000} s`);
    default:
      if (/timed out/i.test(error.message)) return new TransportError('CONNECT_TIMEOUT', target.label, `${where}: no answer within ${target.connectTimeoutMs / 1000} s`);
      return new TransportError('CONNECTION_LOST', target.label, `${where}: ${error.message}`);
  }
}

/** ProxyJump: a connection to the jump host, forwarding a stream to the target. */
async function jumpThrough(target: HostTarget, options: OpenOptions): Promise<NodeJS.ReadWriteStream> {
  const jump = await openConnection(target.proxyJump!, options);
  const client = (jump as unknown as { client: Client }).client;
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, target.hostname, target.port, (error, stream) => {
      if (error) reject(new TransportError('UNREACHABLE', target.label, `${target.label}: the jump host ${target.proxyJump!.label} cannot reach ${target.hostname}:${target.port}: ${error.message}`));
      else resolve(stream);
    });
  });
}
