// The wording of deploy events as plain lines with a host prefix: one formatter per event kind,
// typed so that a new kind does not compile without its formatter.
import { printable, type Style } from '../../output/style.js';
import type { DeployEvent, HostOutcome, HostStatus, Origin } from '../events.js';

type Formatters = { [K in DeployEvent['kind']]: (event: Extract<DeployEvent, { kind: K }>, style: Style) => string | null };

/** `[h1]`, or `[local]` for this machine. */
export function prefix(host: Origin, style: Style): string {
  return style.cyan(`[${host ?? 'local'}]`);
}

/** Colour sequences (SGR): dropped from host output; any other sequence is shown escaped, never run. */
const COLOURS = /\u001b\[[0-9;]*m/g;

/** Text from a host made safe for a terminal line: its colours dropped, every other control character shown escaped (`\e[2J`, `\r`). */
export function remoteText(text: string): string {
  return printable(text.replace(COLOURS, ''));
}

/** Milliseconds as `850 ms` or `2.4 s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Bytes as `512 B`, `3.4 MB`. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const STATUS_WORDS: Record<HostStatus, string> = {
  deployed: 'deployed',
  reverted: 'reverted',
  done: 'done',
  failed: 'FAILED',
  cancelled: 'not published',
  'rolled-back': 'rolled back',
  aborted: 'aborted',
};

/** A host's status as words: `rolled back`, `not published`. */
export function statusText(status: HostStatus): string {
  return STATUS_WORDS[status];
}

/** A host's status as a word, coloured by how it went. */
export function statusWord(status: HostStatus, style: Style): string {
  const word = STATUS_WORDS[status];
  if (status === 'failed') return style.red(word);
  if (status === 'cancelled' || status === 'rolled-back' || status === 'aborted') return style.yellow(word);
  return style.green(word);
}

const FORMATTERS: Formatters = {
  start: (e, style) => style.bold(`pmx deploy ${e.environment} ${e.command}: ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'} (${e.hosts.join(', ')})${e.command === 'deploy' ? `, strategy ${e.strategy}` : ''}`),
  'phase-start': (e, style) => `${prefix(e.host, style)} ${e.phase}`,
  'phase-done': () => null,
  'phase-failed': (e, style) => `${prefix(e.host, style)} ${style.red(`${e.phase} failed`)}: ${remoteText(e.message)}`,
  output: (e, style) => `${prefix(e.host, style)} ${style.gray(`${e.phase} |`)} ${remoteText(e.line)}`,
  progress: (e, style) => `${prefix(e.host, style)} ${e.phase}: ${size(e.bytes)}${e.total ? ` of ${size(e.total)}` : ''}`,
  planned: (e, style) => `${prefix(e.host, style)} ${style.gray(`${e.phase} would run:`)} ${remoteText(e.command)}`,
  note: (e, style) => `${prefix(e.host, style)} ${e.level === 'warn' ? style.yellow('warning: ') : ''}${remoteText(e.message)}`,
  'batch-start': (e, style) => `${prefix(null, style)} ${batchStart(e)}`,
  'batch-hold': (e, style) => `${prefix(null, style)} ${batchHold(e)}`,
  'host-done': (e, style) => `${prefix(e.outcome.host, style)} ${statusWord(e.outcome.status, style)}${outcomeDetail(e.outcome)}`,
};

/** `batch 2/3: publishing h2, h3`. */
export function batchStart(e: Extract<DeployEvent, { kind: 'batch-start' }>): string {
  return `batch ${e.batch}/${e.of}: publishing ${remoteText(e.hosts.join(', '))}`;
}

/** `holding batch 1 for 30.0 s (h1): health check repeated before batch 2`. */
export function batchHold(e: Extract<DeployEvent, { kind: 'batch-hold' }>): string {
  const meanwhile = e.checked ? 'health check repeated' : 'no healthcheck configured: waiting only';
  return `holding batch ${e.batch} for ${duration(e.holdMs)} (${remoteText(e.hosts.join(', '))}): ${meanwhile} before batch ${e.batch + 1}`;
}

/** The plain line of an event, or null when the event shows nothing on its own. */
export function plainLine(event: DeployEvent, style: Style): string | null {
  return (FORMATTERS[event.kind] as (event: DeployEvent, style: Style) => string | null)(event, style);
}

/** ` 20250102T...-abc1234 (2.1 s): why` for a host's end. */
export function outcomeDetail(outcome: HostOutcome): string {
  const release = outcome.release ? ` ${remoteText(outcome.release)}${outcome.readBack || outcome.target === null ? '' : '?'}` : '';
  const why = outcome.message ? `: ${remoteText(outcome.message)}` : '';
  return `${release} (${duration(outcome.durationMs)})${why}`;
}
