// Faults for deploy tests on real hosts, and what a test reads back afterwards.
//
// Faults: small wrapper commands in ~/.pmx/bin (first on the PATH of every command pmx runs), each
// passing through to /usr/bin unless a rule /srv/fault/<name> on that host says `fail <pattern>`
// or `hold <pattern>` (hold: wait until the rule is removed, or until pmx ends it; /srv/fault/<name>.holding
// exists meanwhile). Wrappers named
// after a hook (pre-deploy, post-deploy, health) are called by the hooks with the release's
// VERSION, so a rule can fail one version only (the rollback's reload of the previous one is not hit).
//
// Reading back: current, the ledger, the lock, leftovers, each host's app; and the CLI run as a
// child process (plain output) with its lines as they come, to send signals at a given line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execOnHost, type TestHost } from '../hosts/index.js';

const WRAPPER = `#!/bin/sh
# deploy test fault: /srv/fault/<name> holds "fail <pattern>" or "hold <pattern>"
name=$(basename "$0")
rule=/srv/fault/$name
if test -r "$rule"; then
  read -r mode pattern < "$rule"
  case " $* " in
    *"$pattern"*)
      if test "$mode" = hold; then
        echo "fault: $name holds" >&2
        : > "$rule.holding"
        while test -e "$rule"; do sleep 0.05; done
        rm -f "$rule.holding"
      else
        echo "fault: $name fails" >&2
        exit 70
      fi;;
  esac
fi
test -x "/usr/bin/$name" || exit 0
exec "/usr/bin/$name" "$@"
`;

/** Commands and hooks that can be made to fail or hold. */
export type FaultPoint = 'node' | 'flock' | 'mv' | 'tar' | 'ln' | 'mkdir' | 'ls' | 'pre-deploy' | 'post-deploy' | 'health';
const POINTS: FaultPoint[] = ['node', 'flock', 'mv', 'tar', 'ln', 'mkdir', 'ls', 'pre-deploy', 'post-deploy', 'health'];

/** Installs the wrappers on every host (idempotent; setup leaves ~/.pmx/bin's other files alone). */
export async function installFaultWrappers(hosts: TestHost[]): Promise<void> {
  const bin = '/home/deploy/.pmx/bin';
  const links = POINTS.map((point) => `ln -sf fault-wrapper ${bin}/${point}`).join(' && ');
  await Promise.all(
    hosts.map(async (host) => {
      const done = await execOnHost(host, `mkdir -p ${bin} /srv/fault && cat > ${bin}/fault-wrapper && chmod 755 ${bin}/fault-wrapper && ${links} && chown -R deploy:deploy /home/deploy/.pmx && chown deploy:deploy /srv/fault`, { input: WRAPPER });
      if (done.code !== 0) throw new Error(`${host.name}: cannot install the fault wrappers: ${done.stderr}`);
    }),
  );
}

/** Makes `point` fail or hold on `host` when its arguments contain `pattern`; returns the undo. */
export async function fault(host: TestHost, point: FaultPoint, mode: 'fail' | 'hold', pattern: string): Promise<() => Promise<void>> {
  await execOnHost(host, `printf '%s %s\\n' ${mode} '${pattern}' > /srv/fault/${point}`);
  return async () => void (await execOnHost(host, `rm -f /srv/fault/${point}`));
}

/** Runs a root shell command on the host that changes it, and returns one that undoes it. */
export async function breakWith(host: TestHost, command: string, undo: string): Promise<() => Promise<void>> {
  const done = await execOnHost(host, command);
  if (done.code !== 0) throw new Error(`${host.name}: ${command}: ${done.stderr}`);
  return async () => void (await execOnHost(host, undo));
}

/** What a host has under /srv/app: where current points and its VERSION, its release dirs, its ledger lines, uploads left, modes, whether the lock is free. */
export interface HostState {
  current: string | null;
  version: string;
  releases: string[];
  ledger: Record<string, unknown>[];
  uploads: string[];
  modes: string;
  lockFree: boolean;
  /** No command of a run (a hook, a fetch, an upload) runs there: none holds `.pmx/work`. */
  workFree: boolean;
}

/** Reads a host's deploy path as root (not through pmx), in one command. */
export async function hostState(host: TestHost, path = '/srv/app'): Promise<HostState> {
  const sep = '@@@';
  const parts = [
    `readlink ${path}/current`,
    `cat ${path}/current/VERSION`,
    `ls ${path}/releases`,
    `cat ${path}/.pmx/revisions.log 2>/dev/null`,
    `ls ${path}/.pmx | grep upload-`,
    `stat -c '%a %n' ${path}/.pmx ${path}/.pmx/revisions.log ${path}/.pmx/logs ${path}/.pmx/logs/* 2>/dev/null`,
    `flock -n ${path}/.pmx/lock echo free`,
    // root must not create .pmx/work (the deploy user could not open it then)
    `if test -e ${path}/.pmx/work; then flock -n ${path}/.pmx/work echo free; else echo free; fi`,
  ];
  const out = (await execOnHost(host, parts.join(`; echo ${sep}; `))).stdout;
  const [current, version, releases, ledger, uploads, modes, lock, work] = out.split(`${sep}\n`).map((part) => part.split('\n').filter(Boolean));
  return {
    current: current![0] ? current![0].replace(/^releases\//, '') : null,
    version: version![0] ?? '',
    releases: releases!,
    ledger: ledger!.map((line) => JSON.parse(line) as Record<string, unknown>),
    uploads: uploads!,
    modes: modes!.join('\n'),
    lockFree: lock![0] === 'free',
    workFree: work![0] === 'free',
  };
}

/** The host's state once nobody holds its deploy lock and no command of a run runs there (a lock ends with its SSH session: polled), or as it is after `timeoutMs`. */
export async function settledState(host: TestHost, path = '/srv/app', timeoutMs = 5000, settled = (state: HostState) => state.lockFree && state.workFree): Promise<HostState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await hostState(host, path);
    if (settled(state) || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A `pmx deploy` child process: its output so far, a wait for a line, signals, its end. */
export interface CliChild {
  readonly output: () => string;
  /** Resolves once a line matching `pattern` has been printed (rejects if the process ends first). */
  line(pattern: RegExp): Promise<string>;
  signal(name: NodeJS.Signals): void;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `pmx deploy <args>` (the built CLI, plain output) in `cwd`, with `env` added to this process's. */
export function spawnDeploy(args: string[], cwd: string, env: Record<string, string> = {}): CliChild {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/pmx.cjs'), 'deploy', ...args], { cwd, env: { ...process.env, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const line = `${stdout}\n${stderr}`.split('\n').find((text) => waiter.pattern.test(text));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), check()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), check()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`pmx deploy ended (${code ?? signal}) before a line matched ${waiter.pattern}:\n${stdout}\n${stderr}`));
      resolve({ code: code ?? 128, stdout, stderr });
    }),
  );
  return {
    output: () => `${stdout}\n${stderr}`,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        check();
        if (child.exitCode !== null) done.then(() => reject(new Error(`pmx deploy already ended before ${pattern}`)));
      }),
    signal: (name) => void child.kill(name),
    done,
  };
}

/** One host's row of the plain summary: status words, the release it serves (a trailing ? when not read back). */
export function summaryRow(stdout: string, host: string): { status: string; release: string } | null {
  const escaped = host.replace(/[.]/g, '\\.');
  const match = new RegExp(`^  ${escaped}\\s+(deployed|reverted|done|aborted|FAILED|rolled back|not published)\\s+(\\S+)`, 'm').exec(stdout);
  return match ? { status: match[1]!, release: match[2]! } : null;
}
