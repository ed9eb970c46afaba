// exec|run <cmd>: a command in `current` on every host, its output streamed with the host's name.
import { execInCurrentCommand } from '../hook-command.js';
import { expandingNames, hookEnv } from '../context.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';

/** Fails the host when the command exits non-zero; its output is the host's answer. */
export const execPhase: HostPhase = {
  name: 'exec',
  async run(ctx) {
    const command = ctx.run.execCommand!;
    const result = await runOn(ctx, 'exec', execInCurrentCommand(ctx.run.paths.current, command, hookEnv(ctx), expandingNames(ctx)), { what: `\`${command}\``, stream: true });
    return { answer: { code: result.code, stdout: result.stdout, stderr: result.stderr }, release: ctx.previous, previous: ctx.previous };
  },
};
