// `pmx completion [install|uninstall] [bash|zsh]` and the hidden `completion-names`.
import { homedir } from 'node:os';
import { connectAgent } from '../client/agent.js';
import { CliError } from '../client/errors.js';
import type { CommandContext } from './context.js';

export async function completion(ctx: CommandContext, action: string | undefined, shellName: string | undefined, commands: string[]): Promise<void> {
  const { completionScript, installCompletion, uninstallCompletion } = await import('./completion.js');
  const shell = parseShell(shellName);
  if (action === undefined) {
    ctx.out.write(completionScript(shell ?? (process.env.SHELL?.endsWith('zsh') ? 'zsh' : 'bash'), commands));
    return;
  }
  const home = homedir();
  if (action === 'install') {
    const done = await installCompletion({ shell, loginShell: process.env.SHELL, home, pmxHome: ctx.home.root, commands });
    ctx.out.write(`[PMX] ${done.shell} completion written to ${done.scriptFile} and sourced from ${done.rcFile}\n`);
    return;
  }
  if (action === 'uninstall') {
    const done = await uninstallCompletion({ shell, home, pmxHome: ctx.home.root });
    ctx.out.write(done.removed ? `[PMX] completion removed from ${done.rcFile}\n` : `[PMX] no pmx completion found in ${done.rcFile}\n`);
    return;
  }
  throw new CliError(`completion: unknown action '${action}' (expected install or uninstall)`, { code: 'BAD_ARGUMENT' });
}

function parseShell(name: string | undefined): 'bash' | 'zsh' | undefined {
  if (name === undefined || name === 'bash' || name === 'zsh') return name;
  throw new CliError(`completion: unsupported shell '${name}' (expected bash or zsh)`, { code: 'BAD_ARGUMENT' });
}

/** One process name per line; prints nothing when no agent runs (never starts one). */
export async function completionNames(ctx: CommandContext): Promise<void> {
  const agent = await connectAgent(ctx.home, { spawn: false }).catch(() => null);
  if (!agent) return;
  const names = new Set((await agent.call('list', {})).map((proc) => proc.name));
  agent.close();
  ctx.out.write([...names].join('\n') + (names.size > 0 ? '\n' : ''));
}
