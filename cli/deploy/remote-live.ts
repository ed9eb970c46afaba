// The live command of a host: publish's switch of `current`, then, once the flow says go (every
// host of the batch switched: the barrier is kept), the post-deploy hook, and where nothing follows
// post-deploy on the host (no health check, no ramp) the ledger line and the read back: one command
// instead of three, the go carried on its stdin. Stopped before the go (the host goes back), it
// ends having done nothing after the switch. The phases keep their names, events and errors.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { ExecResult } from '../transport/types.js';
import { publishCommand, stateCommand } from './commands.js';
import { connectionOf, type HostContext } from './context.js';
import { PATH_EXPORT } from './hook-command.js';
import { hookLog } from './remote-paths.js';
import { lineSplitter } from '../shared/line-splitter.js';
import { failureOf, underThisRun } from './remote.js';
import { hookRun } from './phases/hook.js';
import { quote } from '../transport/quote.js';
import { LIVE_MARKS, type LiveCommand } from './remote-live-types.js';

/** The live command applies after a barrier (a rehearsal shows the phases' own commands). */
export function liveApplies(ctx: HostContext): boolean {
  return !ctx.run.rehearsal;
}

/** The shell text: switch, marker, wait for the go, hook, marker, then (recording) the ledger line and the read back. */
export function liveCommand(ctx: HostContext, marker: string, records: boolean): { command: string; script: string | null } {
  const { paths, environment } = ctx.run;
  const hook = hookRun(ctx, 'post-deploy', environment.postDeploy, paths.current, hookLog(paths, ctx.release!));
  const log = quote(paths.revisions);
  const record = `( umask 077 && mkdir -p ${quote(paths.meta)} && printf '%s\\n' "$__pmx_line" >> ${log} ) && chmod 600 ${log}`;
  const after = records
    ? `; if __pmx_err=$( { ${record}; } 2>&1 ); then echo ${marker}=${LIVE_MARKS.recorded}; else printf '%s\\n' "$__pmx_err" | tail -n 1 | sed 's/^/${marker}=${LIVE_MARKS.unrecorded} /'; fi; echo ${marker}=${LIVE_MARKS.state}; ${stateCommand(paths)}`
    : '';
  const command =
    `{ ${publishCommand(paths, ctx.release!)}; } || exit $?; echo ${marker}=${LIVE_MARKS.switched}; ` +
    `IFS= read -r __pmx_go || exit 0; test "$__pmx_go" = go || exit 0; IFS= read -r __pmx_line || exit 0; ` +
    `( ${hook.command} ); __pmx_rc=$?; test "$__pmx_rc" -eq 0 || exit "$__pmx_rc"; echo ${marker}=${LIVE_MARKS.posted}${after}`;
  return { command, script: hook.stdin };
}

/** The last lines of the hook's output kept for its error message (the output itself is shown as it comes). */
const HOOK_LINES_KEPT = 200;

/** Starts the live command on the host (publish's first step). */
export function startLive(ctx: HostContext, records: boolean): LiveCommand {
  const host = ctx.target.label;
  const { emit, environment } = ctx.run;
  const marker = `pmx-live-${randomBytes(6).toString('hex')}`;
  const { command, script } = liveCommand(ctx, marker, records);
  const hook = `the post-deploy hook \`${environment.postDeploy}\``;
  const input = new PassThrough();
  let part: 'publish' | 'hook' | 'after' = 'publish';
  const hookOut: string[] = [];
  const afterOut: string[] = [];
  let onSwitched: () => void = () => undefined;
  const switchedSeen = new Promise<void>((resolve) => (onSwitched = resolve));
  let onPosted: () => void = () => undefined;
  const postedSeen = new Promise<void>((resolve) => (onPosted = resolve));
  const shown = (text: string): void => {
    // what the error message needs of it is its end: the last lines, not all of a chatty hook's output
    if (hookOut.push(text) > HOOK_LINES_KEPT) hookOut.shift();
    emit({ kind: 'output', host, phase: 'post-deploy', line: text });
  };
  const line = (text: string): void => {
    // a marker ends its line, whatever came before it on that line: a hook whose output does not
    // end with a newline (`printf ok`, `curl -s`) leaves its last line unfinished, and the marker
    // written after it lands at the end of that line
    const ending = (mark: string): string | null => (text.endsWith(`${marker}=${mark}`) ? text.slice(0, -`${marker}=${mark}`.length) : null);
    const beforeSwitch = part === 'publish' ? ending(LIVE_MARKS.switched) : null;
    if (beforeSwitch !== null) return void ((part = 'hook'), onSwitched());
    const beforePost = part === 'hook' ? ending(LIVE_MARKS.posted) : null;
    if (beforePost !== null) {
      if (beforePost !== '') shown(beforePost);
      return void ((part = 'after'), onPosted());
    }
    if (part === 'hook') shown(text);
    else if (part === 'after') afterOut.push(text);
  };
  const out = lineSplitter(line);
  const err = lineSplitter((text) => part === 'hook' && emit({ kind: 'output', host, phase: 'post-deploy', line: text }));
  const running = connectionOf(ctx).exec(`${PATH_EXPORT} ${underThisRun(ctx, command)}`, { stdin: input, label: 'publish', onStdout: out.push, onStderr: err.push });
  const ended: Promise<ExecResult | Error> = running.then(
    (result) => (out.flush(), err.flush(), result),
    (error: Error) => error,
  );
  const endedEarly = async (what: string, code: 'COMMAND_FAILED' | 'HOOK_FAILED', stdout: () => string): Promise<never> => {
    const end = await ended;
    if (end instanceof Error) throw end;
    throw failureOf(host, what, { ...end, stdout: stdout(), code: end.code === 0 ? 1 : end.code }, code);
  };
  const switched = Promise.race([switchedSeen, endedEarly(`switching current to ${ctx.release}`, 'COMMAND_FAILED', () => '')]);
  switched.catch(() => undefined);
  let went = false;
  return {
    records,
    switched,
    async go(ledgerLine) {
      went = true;
      input.end(`go\n${records && ledgerLine ? ledgerLine : ''}\n${script ?? ''}`);
      await Promise.race([postedSeen, endedEarly(hook, 'HOOK_FAILED', () => hookOut.join('\n'))]);
    },
    async finished() {
      if (!records || !went) return null;
      const end = await ended;
      if (end instanceof Error || end.code !== 0) return null;
      const state = afterOut.indexOf(`${marker}=${LIVE_MARKS.state}`);
      if (state < 0) return null;
      const unrecorded = afterOut.slice(0, state).find((text) => text.startsWith(`${marker}=${LIVE_MARKS.unrecorded}`));
      return { unrecorded: unrecorded === undefined ? null : unrecorded.slice(`${marker}=${LIVE_MARKS.unrecorded}`.length).trim(), state: afterOut.slice(state + 1).join('\n') };
    },
    async stop() {
      if (!went) input.end();
      await ended;
    },
  };
}
