// `pmx monit`: a full-screen view of the processes (CPU and memory bars), the selected one's
// metrics and its live logs, drawn with plain ANSI on the alternate screen. ↑/↓ or j/k select,
// q or Ctrl-C quit, and the terminal is given back as it was found, whatever ends the view.
import { totalmem } from 'node:os';
import type { AgentConnection } from '../client/connection.js';
import { CliError } from '../client/errors.js';
import { renderMonit, type MonitState } from '../output/monit-view.js';
import { styleFor } from '../output/style.js';
import { LogTail } from './log-tail.js';
import { type CommandContext, withAgent } from './context.js';

const LIST_EVERY_MS = 1000;
const LOGS_EVERY_MS = 250;
const KEPT_LOG_LINES = 500;

// alternate screen + hidden cursor, and back
const ENTER = '\u001b[?1049h\u001b[?25l';
const LEAVE = '\u001b[?25h\u001b[?1049l';

/** `pmx monit`. */
export async function monit(ctx: CommandContext): Promise<void> {
  const input = process.stdin;
  if (!input.isTTY || !ctx.out.isTTY) throw new CliError('pmx monit needs a terminal', { code: 'BAD_ARGUMENT', hint: "from a script, read 'pmx jlist' or the endpoint of 'pmx metrics'" });
  await withAgent(ctx, (agent) => runView(ctx, agent, input));
}

function runView(ctx: CommandContext, agent: AgentConnection, input: NodeJS.ReadStream): Promise<void> {
  const out = ctx.out;
  const style = styleFor(ctx.color);
  const state: MonitState = { procs: [], selected: 0, logs: [], totalMemory: totalmem(), now: Date.now(), problem: null };
  let tail: LogTail | null = null;
  let tailedId: number | null = null;
  let closed = false;

  const draw = (): void => {
    // a list that was still on its way when the view closed is not drawn over the shell
    if (closed) return;
    state.now = Date.now();
    state.logs = tail?.lines ?? [];
    const lines = renderMonit(state, out.columns || 80, out.rows || 24, style);
    out.write(`\u001b[H${lines.map((line) => `${line}\u001b[K`).join('\r\n')}\u001b[J`);
  };
  const follow = (): void => {
    const proc = state.procs[state.selected];
    if ((proc?.pm_id ?? null) === tailedId) return;
    tailedId = proc?.pm_id ?? null;
    const rotation = proc?.pm2_env.log_rotate ?? null;
    tail = proc ? new LogTail([{ file: proc.pm2_env.pm_out_log_path, stream: 'out', rotation }, { file: proc.pm2_env.pm_err_log_path, stream: 'err', rotation }], KEPT_LOG_LINES) : null;
  };
  const refresh = async (): Promise<void> => {
    try {
      const procs = await agent.call('list', {}, 5000);
      // the selection follows its process (by id) when others come and go
      const index = procs.findIndex((proc) => proc.pm_id === tailedId);
      state.procs = procs;
      state.selected = index >= 0 ? index : Math.min(state.selected, Math.max(0, procs.length - 1));
      state.problem = null;
    } catch (error) {
      state.problem = (error as Error).message;
    }
    follow();
    draw();
  };
  const move = (by: number): void => {
    if (state.procs.length === 0) return;
    state.selected = Math.min(state.procs.length - 1, Math.max(0, state.selected + by));
    follow();
    draw();
  };

  return new Promise((resolve) => {
    const listTimer = setInterval(() => void refresh(), LIST_EVERY_MS);
    const logTimer = setInterval(() => {
      if (tail?.poll()) draw();
    }, LOGS_EVERY_MS);
    const quit = (): void => {
      closed = true;
      clearInterval(listTimer);
      clearInterval(logTimer);
      input.off('data', onKey);
      out.off('resize', draw);
      process.off('SIGTERM', quit);
      process.off('SIGHUP', quit);
      input.setRawMode(false);
      input.pause();
      out.write(LEAVE);
      resolve();
    };
    const onKey = (key: string): void => {
      if (key === 'q' || key === 'Q' || key === '\u0003') return quit();
      if (key === '\u001b[A' || key === 'k') return move(-1);
      if (key === '\u001b[B' || key === 'j') return move(1);
    };
    out.write(ENTER);
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onKey);
    input.resume();
    out.on('resize', draw);
    process.once('SIGTERM', quit);
    process.once('SIGHUP', quit);
    void refresh();
  });
}
