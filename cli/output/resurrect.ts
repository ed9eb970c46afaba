// What a resurrect left alone (entries of the dump already here), in the words `resurrect` and the boot agent print.

/** ` (...)` after "Resurrected N processes from <file>", or empty when nothing was left alone. */
export function skippedNote(present: number, stopped: number): string {
  if (present === 0) return '';
  if (stopped === 0) return ` (${present} already running, not started again)`;
  const running = present - stopped;
  return ` (${present} already here, left as they are: ${running > 0 ? `${running} running, ` : ''}${stopped} stopped or errored; 'pmx start <name>' starts one)`;
}
