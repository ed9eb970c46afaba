// Process states, with PM2's names, and the groups that callers test membership in.
// A leaf module: it imports nothing.

export const ProcessState = {
  LAUNCHING: 'launching',
  ONLINE: 'online',
  /**
   * pmx's own: a zero-downtime reload is under way. The current child serves while its
   * replacement boots, then the replacement serves while the replaced child is retired. PM2 has
   * no such state: on the wire (ls, jlist, the dashboard, dumps) it is `online`, since a child
   * serves all along; `pid` is the child that serves.
   */
  REPLACING: 'replacing',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  ERRORED: 'errored',
  WAITING_RESTART: 'waiting restart',
  ONE_LAUNCH: 'one-launch-status',
} as const;

export type ProcessStatus = (typeof ProcessState)[keyof typeof ProcessState];

/** The statuses PM2 knows, which are all that `ls`, `jlist` and dumps ever show. */
export type PublicStatus = Exclude<ProcessStatus, typeof ProcessState.REPLACING>;

/** States in which a child process exists. */
export const RUNNING_STATES: readonly ProcessStatus[] = [
  ProcessState.LAUNCHING,
  ProcessState.ONLINE,
  ProcessState.REPLACING,
  ProcessState.STOPPING,
];

/** States in which the current child is up and serving. */
export const SERVING_STATES: readonly ProcessStatus[] = [ProcessState.ONLINE, ProcessState.REPLACING];

/** States with no child and nothing scheduled: `start` may launch again. */
export const DORMANT_STATES: readonly ProcessStatus[] = [
  ProcessState.STOPPED,
  ProcessState.ERRORED,
  ProcessState.ONE_LAUNCH,
];

/** States in which a request is still being carried out (a launch, a stop, a replacement). */
export const BUSY_STATES: readonly ProcessStatus[] = [ProcessState.LAUNCHING, ProcessState.REPLACING, ProcessState.STOPPING];

export function isRunning(status: ProcessStatus): boolean {
  return RUNNING_STATES.includes(status);
}

export function isServing(status: ProcessStatus): boolean {
  return SERVING_STATES.includes(status);
}

export function isDormant(status: ProcessStatus): boolean {
  return DORMANT_STATES.includes(status);
}

export function isBusy(status: ProcessStatus): boolean {
  return BUSY_STATES.includes(status);
}

/** The status as PM2 names it: `replacing` shows as `online`. */
export function publicStatus(status: ProcessStatus): PublicStatus {
  return status === ProcessState.REPLACING ? ProcessState.ONLINE : status;
}
