// Whose hook `pmx startup` writes, for which init system, under which name: the options of
// `pmx startup [system] -u <user> --hp <home> --service-name <name>` resolved once.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StartupError } from './errors.js';
import { detectInitSystem, hostProbe, systemdRunning, type DetectedInit, type InitProbe } from './detect.js';
import { checkServiceName, parseInitSystem, type InitSystem } from './systems.js';
import { realUser, requireUser, type UserEntry } from './users.js';
import { defaultServiceName } from './values.js';

/** The options as typed (PM2's names). */
export interface StartupFlags {
  user?: string;
  hp?: string;
  serviceName?: string;
  /** pmx's own: the agent's home (default: <home>/.pmx); the line printed for sudo names the caller's with it. */
  pmxHome?: string;
}

/** What the hook is for. */
export interface StartupTarget {
  system: InitSystem;
  /** Whether that init system runs now (false in a container, where PID 1 is something else). */
  initRunning: boolean;
  /** What detection found (null when the system was named and nothing was detected). */
  detected: DetectedInit | null;
  /** The command name of PID 1, for messages. */
  pid1: string | null;
  user: UserEntry;
  home: string;
  pmxHome: string;
  serviceName: string;
}

/**
 * Resolves the init system (named, or detected), the user (-u, or the real uid: never $USER),
 * the home (--hp, or the user's home in the user database), PMX_HOME (<home>/.pmx when --hp or
 * another user is named, as PM2 derives PM2_HOME from --hp: the caller's PMX_HOME is theirs, and
 * the other user's service could not open it; else the environment's, or <home>/.pmx) and the
 * service name (--service-name, or pmx-<user>).
 */
export function resolveTarget(system: string | undefined, flags: StartupFlags, env: Record<string, string | undefined> = process.env, probe: InitProbe = hostProbe(env)): StartupTarget {
  const detected = detectInitSystem(probe);
  const chosen = system ? parseInitSystem(system) : detected?.system;
  if (!chosen) {
    throw new StartupError('no init system recognised on this machine', { code: 'NO_INIT_SYSTEM', hint: 'name one: pmx startup systemd|launchd|openrc|upstart|systemv|rcd' });
  }
  const user = flags.user ? requireUser(flags.user) : realUser();
  // the caller's own hook: their HOME, where their CLI saves (PM2 prints --hp $HOME), not the user
  // database's; unless that HOME is not theirs (`sudo` keeping the invoking user's)
  const ownHome = !otherUser(user) && env.HOME && env.HOME.startsWith('/') && ownerOf(env.HOME) === user.uid ? env.HOME : user.home;
  const home = resolve(flags.hp ?? ownHome);
  return {
    system: chosen,
    initRunning: chosen === 'systemd' ? systemdRunning(probe) : detected?.system === chosen ? detected.running : true,
    detected,
    pid1: probe.pid1(),
    user,
    home,
    pmxHome: flags.pmxHome ? resolve(flags.pmxHome) : env.PMX_HOME && flags.hp === undefined && !otherUser(user) ? resolve(env.PMX_HOME) : join(home, '.pmx'),
    serviceName: checkServiceName(flags.serviceName ?? defaultServiceName(user.name)),
  };
}

/** `user` is not the one this command runs as. */
function otherUser(user: UserEntry): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && user.uid !== uid;
}

/** The uid owning `path`, or null when it cannot be read. */
function ownerOf(path: string): number | null {
  try {
    return statSync(path).uid;
  } catch {
    return null;
  }
}
