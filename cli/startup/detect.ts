// Which init system this machine boots with: the one running as PID 1 first, then (in a container
// or a chroot, where PID 1 is something else) the one whose tools are installed.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { findExecutable } from '../../agent/protocol/system-tool.js';
import type { InitSystem } from './systems.js';

/** What detection looks at; tests replace it. */
export interface InitProbe {
  platform: NodeJS.Platform;
  exists(path: string): boolean;
  /** Absolute path of an executable found on PATH, or null. */
  which(command: string): string | null;
  /** The command name of PID 1 (`/proc/1/comm`), or null when unknown. */
  pid1(): string | null;
}

/** The init system found, whether it is the one running now, and the evidence. */
export interface DetectedInit {
  system: InitSystem;
  /** False when only its tools are installed (a container, a chroot, an image being built). */
  running: boolean;
  evidence: string;
}

/** Tools that reveal an installed init system, in the order PM2 tries them. */
const TOOLS: ReadonlyArray<readonly [string, InitSystem]> = [
  ['systemctl', 'systemd'],
  ['rc-update', 'openrc'],
  ['initctl', 'upstart'],
  ['update-rc.d', 'systemv'],
  ['chkconfig', 'systemv'],
  ['launchctl', 'launchd'],
  ['sysrc', 'rcd'],
];

/** The init system of this machine, or null when nothing is recognised. */
export function detectInitSystem(probe: InitProbe = hostProbe()): DetectedInit | null {
  if (probe.platform === 'darwin') return { system: 'launchd', running: true, evidence: 'macOS' };
  if (probe.platform === 'freebsd') return { system: 'rcd', running: true, evidence: 'FreeBSD' };
  if (systemdRunning(probe)) return { system: 'systemd', running: true, evidence: '/run/systemd/system exists' };
  if (probe.exists('/run/openrc/softlevel')) return { system: 'openrc', running: true, evidence: '/run/openrc/softlevel exists' };
  const init = probe.pid1();
  if (init === 'init' && probe.which('initctl') && probe.exists('/etc/init')) {
    return { system: 'upstart', running: true, evidence: 'PID 1 is init with initctl and /etc/init' };
  }
  for (const [tool, system] of TOOLS) {
    const path = probe.which(tool);
    if (path) return { system, running: false, evidence: `${path} is installed (PID 1 is ${init ?? 'unknown'})` };
  }
  return null;
}

/** systemd's own test (sd_booted): true when systemd is the running init. */
export function systemdRunning(probe: InitProbe = hostProbe()): boolean {
  return probe.exists('/run/systemd/system');
}

/** The probe of this machine. */
export function hostProbe(env: Record<string, string | undefined> = process.env): InitProbe {
  return {
    platform: process.platform,
    exists: (path) => existsSync(path),
    which: (command) => which(command, env.PATH ?? ''),
    pid1: () => {
      try {
        return readFileSync('/proc/1/comm', 'utf8').trim() || null;
      } catch {
        return null;
      }
    },
  };
}

/** The first executable named `command` in the directories of `path` (plus the sbin ones root has). */
export function which(command: string, path: string): string | null {
  return findExecutable(command, [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean));
}
