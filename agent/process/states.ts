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
export const DORMANT_STATES: readonly ProcessStatus[] = [ProcessState.STOPPED, ProcessState.ERRORED];

/**
 * States in which no request is being carried out: a launch is over (online, or given up:
 * errored, waiting for a restart, stopped by its own exit code) and so is any stop or replacement.
 */
export const SETTLED_STATES: readonly ProcessStatus[] = [
  ProcessState.ONLINE,
  ProcessState.STOPPED,
  ProcessState.ERRORED,
  ProcessState.WAITING_RESTART,
];

/** States in which the current child runs and no stop is under way: a stop, restart or delete signals it. */
export const SIGNALLABLE_STATES: readonly ProcessStatus[] = [ProcessState.LAUNCHING, ProcessState.ONLINE, ProcessState.REPLACING];

/**
 * States in which the current child runs unattended, with no stop or reload under way: the agent
 * restarts it on its own (an exit by its restart policy; hung, watchdog, unhealthy,
 * max_memory_restart, cron_restart).
 */
export const UNATTENDED_STATES: readonly ProcessStatus[] = [ProcessState.LAUNCHING, ProcessState.ONLINE];

/** The predicate for membership in `group`. */
function within(group: readonly ProcessStatus[]): (status: ProcessStatus) => boolean {
  return (status) => group.includes(status);
}

export const isRunning = within(RUNNING_STATES);
export const isServing = within(SERVING_STATES);
export const isDormant = within(DORMANT_STATES);
export const isSettled = within(SETTLED_STATES);
export const isSignallable = within(SIGNALLABLE_STATES);
export const isUnattended = within(UNATTENDED_STATES);

/** The status as PM2 names it: `replacing` shows as `online`. */
export function publicStatus(status: ProcessStatus): PublicStatus {
  return status === ProcessState.REPLACING ? ProcessState.ONLINE : status;
}
