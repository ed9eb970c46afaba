// How the agent process is started: the contract between the CLI that spawns it and the agent.

/**
 * V8 flags the agent runs with: a small young generation and size-optimised code keep its RSS
 * flat (measured: 104 MB -> 55 MB with 50 apps); the agent allocates little per request.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'];

/** Marker in the agent's command line, so a reused pid is not mistaken for an agent. */
export const AGENT_MARKER = '--pmx-agent';
/**
 * The exit code of an agent asked to end so that it is started again (`pmx update` of a foreground
 * agent): EX_TEMPFAIL, non-zero, so that an init system's `Restart=on-failure` (pmx's systemd unit)
 * or a container's restart policy starts it again, while a plain `pmx kill` (exit 0) stays done.
 */
export const EXIT_RESTART = 75;

/** The flag of an agent started only to stop what a killed one left (`pmx kill`): it restarts nothing. */
export const TO_STOP_FLAG = '--to-stop';

/** A process named in a recovery report. */
export interface RecoveredProcess {
  id: number;
  name: string;
  /** Its pid when adopted, else 0. */
  pid: number;
}

/** What an agent found of an agent that died before it, told to the CLI that started it and logged. */
export interface RecoveryReport {
  /** The pid of the agent that died, when known. */
  deadAgentPid: number | null;
  /** Still running, supervised again without a restart (their output is read again). */
  adopted: RecoveredProcess[];
  /** Restarted once: cluster workers die with their agent, socket-activated apps need its sockets. */
  restarted: RecoveredProcess[];
  /** Gone by the time this agent came: started again, or not, by their restart policy. */
  exited: RecoveredProcess[];
  /** Registered by a start the dead agent had not carried out yet: started now (absent from older agents). */
  started?: RecoveredProcess[];
  /** At rest (stopped, errored) when it died: kept so, as it left them (absent from older agents). */
  resting?: RecoveredProcess[];
  /** Started by the dead agent but never recorded (its state file could not be written): stopped, so that nothing runs unseen. */
  stopped: RecoveredProcess[];
  /** Why the dead agent's state could not be used (unreadable), or null. */
  lost: string | null;
  /** The dead agent was stopping every process when it died: this agent finished that stop (`stopped` names what it left running) and took nothing over. */
  shutdown?: true;
}

/** The line the agent writes on its ready pipe once it answers on its socket. */
export function readyLine(recovered: RecoveryReport | null): string {
  return `ready ${JSON.stringify({ recovered })}\n`;
}

/** The recovery report carried by a ready line, or null (none, or not a ready line). */
export function parseReadyLine(line: string): { recovered: RecoveryReport | null } | null {
  if (!line.startsWith('ready')) return null;
  try {
    const body = JSON.parse(line.slice('ready'.length).trim() || '{}') as { recovered?: RecoveryReport | null };
    return { recovered: body.recovered ?? null };
  } catch {
    return { recovered: null };
  }
}

/**
 * What runs a foreground agent and would start it again once it ends (EXIT_RESTART): the init
 * system that started it, from the variables each sets for its services (pmx's own units set
 * PMX_SUPERVISOR where the system sets none), or a container (the agent's parent is PID 1, the
 * pmx-runtime shell); null in a terminal, where nothing would.
 */
export function supervisorOf(env: NodeJS.ProcessEnv, parentPid: number): string | null {
  if (env.PMX_SUPERVISOR) return env.PMX_SUPERVISOR;
  if (env.INVOCATION_ID) return 'systemd';
  if (env.UPSTART_JOB) return 'upstart';
  if (env.RC_SVCNAME) return 'openrc';
  if (env.XPC_SERVICE_NAME && env.XPC_SERVICE_NAME !== '0') return 'launchd';
  if (parentPid === 1) return 'container';
  return null;
}

