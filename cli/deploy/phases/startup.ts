// startup: the boot hook on every host through pmx there: as root, or with sudo that needs no
// password; otherwise the host's answer is the exact command to run there.
import { quote } from '../../transport/quote.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { DeployStepError, lastLines } from '../run-error.js';

/** The shell that runs `pmx startup` as root if this user can, else prints `need-sudo`. */
export function startupCommand(user: string, home: string): string {
  const args = `startup -u ${quote(user)} --hp ${quote(home)}`;
  return (
    `if test "$(id -u)" = 0; then pmx ${args}; ` +
    `elif sudo -n true 2>/dev/null; then sudo -n env PATH="$PATH" "$HOME/.pmx/bin/pmx" ${args}; ` +
    `else echo need-sudo; fi`
  );
}

/** Answers what `pmx startup` printed on the host. */
export const startupPhase: HostPhase = {
  name: 'startup',
  async run(ctx) {
    const user = ctx.target.user;
    const home = ctx.facts?.home ?? `/home/${user}`;
    const result = await runOn(ctx, 'startup', startupCommand(user, home), { what: 'pmx startup', stream: true });
    if (result.stdout.trim() === 'need-sudo') {
      const command = `sudo env PATH="$PATH:${home}/.pmx/bin" ${home}/.pmx/bin/pmx startup -u ${user} --hp ${home}`;
      throw new DeployStepError(`${user} is not root and sudo asks for a password; run this on the host: ${command}`, { code: 'COMMAND_FAILED', host: ctx.target.label, output: lastLines(result.stdout) });
    }
    return { answer: { output: result.stdout } };
  },
};
