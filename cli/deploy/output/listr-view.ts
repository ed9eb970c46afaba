// The view on a terminal: listr2 with one row per host showing its current phase and last output
// line (and a row for this machine's own steps), then the summary.
import { Listr } from 'listr2';
import type { Style } from '../../output/style.js';
import type { DeployEvent, HostOutcome, Origin } from '../events.js';
import { batchHold, batchStart, outcomeDetail, remoteText, size, statusText } from './format.js';
import { renderAnswers, renderSummary, type SummaryInput } from './summary.js';
import type { DeployView } from './view.js';

/** What a row can be told (listr2's task wrapper). */
interface RowHandle {
  title: string;
  output: string;
  skip(message?: string): void;
}

interface Row {
  title: string;
  output: string;
  handle: RowHandle | null;
  done: Promise<HostOutcome | null>;
  end: (outcome: HostOutcome | null) => void;
}

/** Rows for each host of the run, started on the `start` event. */
export function listrView(out: NodeJS.WritableStream, style: Style): DeployView {
  const rows = new Map<Origin, Row>();
  let running: Promise<unknown> = Promise.resolve();

  const row = (origin: Origin): Row | undefined => rows.get(origin);
  const update = (origin: Origin, title: string | null, output: string | null): void => {
    const target = row(origin);
    if (!target) return;
    if (title !== null) target.title = title;
    if (output !== null) target.output = output;
    if (target.handle) {
      target.handle.title = target.title;
      target.handle.output = target.output;
    }
  };
  const start = (hosts: string[], withLocal: boolean): void => {
    for (const origin of [...(withLocal ? [null] : []), ...hosts] as Origin[]) {
      let end: (outcome: HostOutcome | null) => void = () => undefined;
      const done = new Promise<HostOutcome | null>((resolve) => (end = resolve));
      rows.set(origin, { title: `${origin ?? 'local'}: waiting`, output: '', handle: null, done, end });
    }
    const listr = new Listr(
      [...rows.entries()].map(([origin, state]) => ({
        title: state.title,
        task: async (_ctx: unknown, task: RowHandle) => {
          state.handle = task;
          task.title = state.title;
          const outcome = await state.done;
          if (!outcome) {
            task.title = `${origin ?? 'local'}: done`;
            return;
          }
          task.title = `${outcome.host}: ${statusText(outcome.status)}${outcomeDetail({ ...outcome, message: null })}`;
          if (outcome.status === 'cancelled' || outcome.status === 'aborted') task.skip(`${origin}: ${remoteText(outcome.message ?? 'not published')}`);
          else if (outcome.status === 'failed' || outcome.status === 'rolled-back') throw new Error(`${origin}: ${remoteText(outcome.message ?? outcome.status)}`);
        },
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false, showErrorMessage: true, collapseSkips: false } },
    );
    running = listr.run().catch(() => undefined);
  };

  return {
    emit(event: DeployEvent) {
      switch (event.kind) {
        case 'start':
          start(event.hosts, event.command === 'deploy' || event.command === 'revert' || event.command === 'setup' || event.command === 'mark-bad');
          return;
        case 'phase-start':
          update(event.host, `${event.host ?? 'local'}: ${event.phase}`, '');
          return;
        case 'phase-failed':
          update(event.host, null, style.red(remoteText(event.message)));
          return;
        case 'output':
          update(event.host, null, remoteText(event.line));
          return;
        case 'progress':
          update(event.host, null, `${size(event.bytes)}${event.total ? ` of ${size(event.total)}` : ''}`);
          return;
        case 'note':
          update(event.host, null, remoteText(event.message));
          return;
        case 'planned':
          update(event.host, null, `would run: ${remoteText(event.command)}`);
          return;
        case 'batch-start':
          update(null, `local: ${batchStart(event)}`, '');
          return;
        case 'batch-hold':
          update(null, `local: ${batchHold(event)}`, '');
          return;
        case 'host-done':
          row(event.outcome.host)?.end(event.outcome);
          return;
        case 'phase-done':
          return;
      }
    },
    async finish(input: SummaryInput) {
      row(null)?.end(null);
      for (const state of rows.values()) state.end(null);
      await running;
      out.write(`${[...renderAnswers(input, style), '', ...renderSummary(input, style)].join('\n')}\n`);
    },
  };
}
