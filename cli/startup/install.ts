// Writing, enabling, disabling and removing a startup hook, as root, in the CLI process (the agent
// never needs this). PMX_STARTUP_ROOT=<dir> is prefixed to every path written or removed, like
// DESTDIR: tests and image builds never touch the real /etc. Under it, only `systemctl --root`
// (which works offline) is run; the other commands are reported for later.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StartupError } from './errors.js';
import { LAYOUTS, type InitSystem, type Step } from './systems.js';
import type { RenderedService } from './render.js';

/** The result of one command; null from a runner means its program is not installed. */
export interface CommandResult {
  code: number;
  output: string;
}

export type CommandRunner = (argv: string[]) => CommandResult | null;

/** Where and how to install. */
export interface InstallOptions {
  /** PMX_STARTUP_ROOT, or null for the real root. */
  root: string | null;
  /** Whether the init system is the one running now (see detect.ts). */
  initRunning: boolean;
  run: CommandRunner;
}

/** What became of one command: run, failed, or left for the user (with why). */
export interface StepOutcome {
  argv: string[];
  status: 'ran' | 'failed' | 'pending';
  output: string;
  why: 'destination-root' | 'not-installed' | null;
}

export interface InstallOutcome {
  /** The file written or removed, with the destination root. */
  file: string;
  /** False when unstartup found no file to remove. */
  existed: boolean;
  steps: StepOutcome[];
}

/** The destination root named by PMX_STARTUP_ROOT, or null. */
export function startupRoot(env: Record<string, string | undefined> = process.env): string | null {
  return env.PMX_STARTUP_ROOT ? env.PMX_STARTUP_ROOT : null;
}

/** Writes the hook atomically with its mode, then enables it. */
export function installService(service: RenderedService, serviceName: string, options: InstallOptions): InstallOutcome {
  const file = withRoot(options.root, service.path);
  writeAtomically(file, service.text, service.mode);
  const steps = [...runInitCommands(service.system, 'reload', serviceName, options), ...runInitCommands(service.system, 'enable', serviceName, options)];
  return { file, existed: true, steps };
}

/** Disables the hook, then removes its file; a missing file is reported, not an error. */
export function removeService(system: InitSystem, serviceName: string, options: InstallOptions): InstallOutcome {
  const path = LAYOUTS[system].destination(serviceName);
  const file = withRoot(options.root, path);
  if (!existsSync(file)) return { file, existed: false, steps: [] };
  const steps = runInitCommands(system, 'disable', serviceName, options);
  rmSync(file, { force: true });
  return { file, existed: true, steps: [...steps, ...runInitCommands(system, 'reload', serviceName, options)] };
}

/** Runs commands through spawnSync; a program that is not installed gives null. */
export function hostRunner(): CommandRunner {
  return (argv) => {
    const [program, ...args] = argv;
    if (!program) return null;
    const result = spawnSync(program, args, { encoding: 'utf8', timeout: 60_000 });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
    return { code: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim() };
  };
}

/**
 * Runs the commands that enable, disable or reload a hook. Under a destination root they are only
 * reported, except systemd's enable/disable, which `systemctl --root` carries out offline; so is
 * it when systemd is not the running init (a container): enabling still works, for the next boot.
 */
export function runInitCommands(system: InitSystem, action: 'enable' | 'disable' | 'reload', serviceName: string, options: InstallOptions): StepOutcome[] {
  const layout = LAYOUTS[system];
  const path = layout.destination(serviceName);
  const steps: Step[] = action === 'enable' ? layout.enable(serviceName, path) : action === 'disable' ? layout.disable(serviceName, path) : layout.reload;
  if (system === 'systemd' && (options.root !== null || !options.initRunning)) {
    // offline: nothing to reload, and systemctl enables and disables in a root directory
    if (action === 'reload') return [];
    return [runOne([['systemctl', `--root=${options.root ?? '/'}`, action, `${serviceName}.service`]], options.run)];
  }
  if (options.root !== null) {
    return steps.map((alternatives) => ({ argv: alternatives[0] ?? [], status: 'pending', output: '', why: 'destination-root' }));
  }
  return steps.map((alternatives) => runOne(alternatives, options.run));
}

function runOne(alternatives: string[][], run: CommandRunner): StepOutcome {
  for (const argv of alternatives) {
    const result = run(argv);
    if (result === null) continue;
    return { argv, status: result.code === 0 ? 'ran' : 'failed', output: result.output, why: null };
  }
  return { argv: alternatives[0] ?? [], status: 'pending', output: '', why: 'not-installed' };
}

function withRoot(root: string | null, path: string): string {
  return root === null ? path : join(root, path);
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
    const fd = openSync(temp, 'w', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, mode); // the umask may have narrowed it
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new StartupError(`cannot write ${file}: ${(error as Error).message}`, { code: 'WRITE_FAILED', data: { file } });
  }
}
