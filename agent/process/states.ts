// Process states, with PM2's names, and the groups that callers test membership in.
// A leaf module: it imports nothing.

export const ProcessState = {
  LAUNCHING: 'launching',
  ONLINE: 'online',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  ERRORED: 'errored',
  WAITING_RESTART: 'waiting restart',
  ONE_LAUNCH: 'one-launch-status',
} as const;

export type ProcessStatus = (typeof ProcessState)[keyof typeof ProcessState];

/** States in which a child process exists. */
export const RUNNING_STATES: readonly ProcessStatus[] = [
  ProcessState.LAUNCHING,
  ProcessState.ONLINE,
  ProcessState.STOPPING,
];

/** States with no child and nothing scheduled: `start` may launch again. */
export const DORMANT_STATES: readonly ProcessStatus[] = [
  ProcessState.STOPPED,
  ProcessState.ERRORED,
  ProcessState.ONE_LAUNCH,
];

/** States in which a signal can be delivered to the child. */
export const SIGNALLABLE_STATES: readonly ProcessStatus[] = [ProcessState.LAUNCHING, ProcessState.ONLINE];

export function isRunning(status: ProcessStatus): boolean {
  return RUNNING_STATES.includes(status);
}

export function isDormant(status: ProcessStatus): boolean {
  return DORMANT_STATES.includes(status);
}
