// What a log reader says where it could not show part of a log (log-follow.ts): `pmx logs` on
// stderr, `pmx monit` in its log panel.
import type { LogGap } from '../commands/log-follow.js';

/** The one line that says what could not be shown, and why. */
export function gapWords(gap: LogGap): string {
  if (gap.kind === 'pruned') return `lines of ${gap.file} may be missing here: its rotated files were removed (log_rotate keeps ${gap.retain}) before they could be shown`;
  return `${gap.bytes === null ? 'the lines' : `${gap.bytes} bytes`} of ${gap.file} were rotated away before they could be shown`;
}
