// What a run shows, masked: the free text of its events, outcomes and ramp report (host output,
// messages, notes, a query's answer). The words views key on (kinds, phases, hosts, statuses,
// release fields) stay as they are: a view must not break on a short value, and a hole in pmx's
// own words would tell the value.
import type { DeployEvent, HostOutcome } from './events.js';
import type { RampReport } from './flow-ramp.js';
import { maskDeep } from './secret-mask.js';

type Mask = (text: string) => string;

/** Each kind's free text, masked; a new kind does not compile without its entry. */
const EVENTS: { [K in DeployEvent['kind']]: (event: Extract<DeployEvent, { kind: K }>, mask: Mask) => Extract<DeployEvent, { kind: K }> } = {
  start: (event) => event,
  'phase-start': (event) => event,
  'phase-done': (event) => event,
  'phase-failed': (event, mask) => ({ ...event, message: mask(event.message) }),
  output: (event, mask) => ({ ...event, line: mask(event.line) }),
  progress: (event) => event,
  note: (event, mask) => ({ ...event, message: mask(event.message) }),
  planned: (event, mask) => ({ ...event, command: mask(event.command) }),
  'batch-start': (event) => event,
  'batch-hold': (event) => event,
  'host-done': (event, mask) => ({ ...event, outcome: shownOutcome(event.outcome, mask) }),
};

/** The event as shown. */
export function shownEvent(event: DeployEvent, mask: Mask): DeployEvent {
  return (EVENTS[event.kind] as (event: DeployEvent, mask: Mask) => DeployEvent)(event, mask);
}

/** The outcome as shown: its message, notes and answer masked. */
export function shownOutcome(outcome: HostOutcome, mask: Mask): HostOutcome {
  return { ...outcome, message: outcome.message === null ? null : mask(outcome.message), notes: outcome.notes.map(mask), ...('data' in outcome ? { data: maskDeep(outcome.data, mask) } : {}) };
}

/** The ramp's report as shown: why it stopped, masked. */
export function shownRamp(ramp: RampReport | null, mask: Mask): RampReport | null {
  return ramp?.stopped ? { ...ramp, stopped: { ...ramp.stopped, reason: mask(ramp.stopped.reason) } } : ramp;
}
