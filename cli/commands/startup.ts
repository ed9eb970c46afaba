// `pmx startup [system]` and `pmx unstartup [system]`: as root, write and enable (or disable and
// remove) the boot hook that runs the agent in the foreground and resurrects the saved apps;
// otherwise print the one command to run with sudo. Both remind the user to `pmx save`.
import { dirname, join } from 'node:path';
import { resolveHome } from '../../agent/protocol/home.js';
import { guardChain, guardPath } from '../../agent/protocol/home-guard.js';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { StartupError } from '../startup/errors.js';
import { hostRunner, installService, removeService, startupRoot, type InstallOutcome, type StepOutcome } from '../startup/install.js';
import { renderService } from '../startup/render.js';
import { compareWithDump, longestKillTimeout } from '../startup/saved-state.js';
import { LAYOUTS } from '../startup/systems.js';
import { resolveTarget, type StartupFlags, type StartupTarget } from '../startup/target.js';
import { packageRoot, startupValues } from '../startup/values.js';
import { connectAgent } from '../client/agent.js';
import { CliError } from '../client/errors.js';
import { quote } from '../transport/quote.js';
import type { CommandContext } from './context.js';

export type { StartupFlags } from '../startup/target.js';

/** `pmx startup [system] [-u user] [--hp home] [--service-name name]`. */
export async function startup(ctx: CommandContext, system: string | undefined, flags: StartupFlags): Promise<void> {
  const target = explained(() => resolveTarget(system, flags));
  guardTargetHome(target);
  const running = await runningList(target.pmxHome);
  const dump = join(target.pmxHome, 'dump.pmx');
  if (!mayWrite()) {
    remindToSave(ctx, dump, running);
    ctx.out.write('[PMX] To install the startup hook, run this command as root:\n');
    ctx.out.write(`${sudoCommand('startup', target, flags)}\n`);
    return;
  }
  const values = startupValues({
    user: target.user,
    home: target.home,
    pmxHome: target.pmxHome,
    serviceName: target.serviceName,
    node: process.execPath,
    callerPath: process.env.PATH ?? '',
    maxKillTimeoutMs: longestKillTimeout(dump, running),
  });
  const rendered = explained(() => renderService(target.system, values));
  const outcome = explained(() => installService(rendered, target.serviceName, { root: startupRoot(), initRunning: target.initRunning, run: hostRunner() }));
  ctx.out.write(`[PMX] ${target.system} hook for ${target.user.name} (PMX_HOME ${target.pmxHome}) written to ${outcome.file}\n`);
  const caller = process.env.SUDO_USER;
  if (!flags.user && caller && caller !== target.user.name) {
    ctx.out.write(`[PMX] It runs as ${target.user.name}, the user of this process; for ${caller}'s apps run: pmx startup ${target.system} -u ${quote(caller)}\n`);
  }
  printSteps(ctx, outcome.steps);
  printInitState(ctx, target);
  remindToSave(ctx, dump, running);
  failOnFailedSteps(outcome, 'enable');
}

/** `pmx unstartup [system] [-u user] [--service-name name]`. */
export async function unstartup(ctx: CommandContext, system: string | undefined, flags: StartupFlags): Promise<void> {
  const target = explained(() => resolveTarget(system, flags));
  if (!mayWrite()) {
    ctx.out.write('[PMX] To remove the startup hook, run this command as root:\n');
    ctx.out.write(`${sudoCommand('unstartup', target, flags)}\n`);
    return;
  }
  const outcome = explained(() => removeService(target.system, target.serviceName, { root: startupRoot(), initRunning: target.initRunning, run: hostRunner() }));
  if (!outcome.existed) {
    ctx.out.write(`[PMX] No ${target.system} hook at ${outcome.file}: nothing to remove\n`);
    return;
  }
  printSteps(ctx, outcome.steps);
  ctx.out.write(`[PMX] Removed ${outcome.file}\n`);
  const start = LAYOUTS[target.system].start(target.serviceName);
  const stop = start?.map((word) => (word === 'start' ? 'stop' : word)).join(' ');
  if (stop) ctx.out.write(`[PMX] An agent the hook started keeps running until stopped: ${stop}\n`);
  failOnFailedSteps(outcome, 'disable');
}

/**
 * Refuses a PMX_HOME that the hook's user could not keep to itself (another user's, or under a
 * folder another user may change), with the refusal its agent would give at every boot (guardHome).
 */
function guardTargetHome(target: StartupTarget): void {
  const elsewhere = `name a home of ${target.user.name}'s with --hp: the agent the hook starts would refuse this one at every boot`;
  guardChain(target.pmxHome, { uid: target.user.uid, elsewhere });
  guardPath(target.pmxHome, 'home', target.user.uid);
}

/** Root writes the real hook; anyone may write under PMX_STARTUP_ROOT (tests, image builds). */
function mayWrite(): boolean {
  return process.getuid?.() === 0 || startupRoot() !== null;
}

/** The exact command to run as root: absolute node and pmx, so sudo's PATH does not matter. */
function sudoCommand(command: 'startup' | 'unstartup', target: StartupTarget, flags: StartupFlags): string {
  const words = [process.execPath, join(packageRoot(), 'bin/pmx.cjs'), command, target.system, '-u', target.user.name, '--hp', target.home];
  // a PMX_HOME of the caller's own: sudo's would not be theirs, and -u/--hp name the user's default
  if (target.pmxHome !== join(target.home, '.pmx')) words.push('--pmx-home', target.pmxHome);
  if (flags.serviceName) words.push('--service-name', target.serviceName);
  // as PM2 prints it: sudo resets PATH, and the hook keeps the caller's (where node and the apps' tools are)
  return `sudo env PATH=$PATH:${quote(dirname(process.execPath))} ${words.map(quote).join(' ')}`;
}

/** The processes the user's agent runs now, or null when it does not answer (never starts one). */
async function runningList(pmxHome: string): Promise<ProcessDescription[] | null> {
  try {
    const agent = await connectAgent(resolveHome({ PMX_HOME: pmxHome }), { spawn: false });
    if (!agent) return null;
    try {
      return await agent.call('list', {});
    } finally {
      agent.close();
    }
  } catch {
    return null;
  }
}

function remindToSave(ctx: CommandContext, dump: string, running: ProcessDescription[] | null): void {
  const state = compareWithDump(dump, running);
  if (state.kind === 'missing') {
    ctx.out.write(`[PMX] Nothing is saved yet (${dump}): at boot the hook starts no app. Run 'pmx save' once your apps run.\n`);
  } else if (state.kind === 'stale') {
    const parts = [
      state.unsaved.length > 0 ? `not saved: ${state.unsaved.join(', ')}` : '',
      state.gone.length > 0 ? `saved but no longer running: ${state.gone.join(', ')}` : '',
      state.changed.length > 0 ? `changed since: ${state.changed.join(', ')}` : '',
    ].filter(Boolean);
    ctx.out.write(`[PMX] The running list differs from the one saved at ${state.savedAt.toISOString()} (${parts.join('; ')}). Run 'pmx save' so that the boot brings back what runs now.\n`);
  }
}

function printSteps(ctx: CommandContext, steps: StepOutcome[]): void {
  for (const step of steps) {
    const command = step.argv.map(quote).join(' ');
    if (step.status === 'ran') ctx.out.write(`[PMX] Ran: ${command}\n`);
    else if (step.status === 'failed') ctx.err.write(`[PMX][WARN] Failed: ${command}\n${indent(step.output)}`);
    else if (step.why === 'destination-root') ctx.out.write(`[PMX] Not run (PMX_STARTUP_ROOT is set): ${command}\n`);
    else ctx.err.write(`[PMX][WARN] ${step.argv[0]} is not installed here; on the target system run: ${command}\n`);
  }
}

function printInitState(ctx: CommandContext, target: StartupTarget): void {
  const start = LAYOUTS[target.system].start(target.serviceName)?.join(' ');
  if (target.system === 'systemd' && !target.initRunning) {
    ctx.out.write(`[PMX] systemd is not running here (PID 1 is ${target.pid1 ?? 'unknown'}): the unit takes effect at the next boot under systemd; once systemd runs, start it with: ${start}\n`);
    return;
  }
  if (start && startupRoot() === null) {
    ctx.out.write(`[PMX] The hook starts the agent at boot. To hand the running apps over to it now: 'pmx save' and 'pmx kill' as ${target.user.name}, then: ${start}\n`);
  }
}

function failOnFailedSteps(outcome: InstallOutcome, action: 'enable' | 'disable'): void {
  const failed = outcome.steps.filter((step) => step.status === 'failed');
  if (failed.length === 0) return;
  const commands = failed.map((step) => step.argv.map(quote).join(' ')).join(' && ');
  throw new CliError(`could not ${action} the hook ${outcome.file}`, { code: 'BAD_ARGUMENT', hint: `fix the error above, then run as root: ${commands}` });
}

/** StartupErrors carry a hint: the CLI's error class shows it. */
function explained<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof StartupError) throw new CliError(error.message, { code: 'BAD_ARGUMENT', hint: error.hint, data: { startup: error.code, ...error.data } });
    throw error;
  }
}

function indent(text: string): string {
  return text ? `${text.split('\n').map((line) => `  ${line}`).join('\n')}\n` : '';
}
