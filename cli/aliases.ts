// Every command's other names (PM2's among them), listed once: the parser, the fast path and the
// completion all read them here.
export const COMMAND_ALIASES = {
  ls: ['list', 'status', 'l', 'ps'],
  describe: ['show', 'desc', 'info'],
  reload: ['gracefulReload'],
  delete: ['del'],
  startOrReload: ['startOrGracefulReload'],
  save: ['dump'],
  serve: ['expose'],
  update: ['updatePM2'],
  monit: ['imonit', 'dash'],
  init: ['ecosystem'],
} as const satisfies Record<string, readonly string[]>;

/** The other names of `command` ([] when it has none). */
export function aliasesOf(command: string): string[] {
  return [...((COMMAND_ALIASES as Record<string, readonly string[]>)[command] ?? [])];
}
