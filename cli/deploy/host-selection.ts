// `--hosts <glob>` and `--roles <r[,r2]>`: the hosts of an environment a command runs on. A glob
// may hold ranges, as `host` names do (`web[01:03]*`, `10.0.0.[11:13]`). A selection that matches
// no host is an error naming the selector and the hosts there are.
import { DeployConfigError } from './errors.js';
import { globMatch } from '../transport/host-patterns.js';
import { expandHostRange } from './host-ranges.js';
import type { HostTarget } from '../transport/host-target.js';
import type { DeployEnvironment } from './types.js';

/** What the command line selects; an absent selector selects every host. */
export interface HostSelection {
  /** Globs (`*`, `?`) matched against a host's label, name and address, any of them. */
  hosts?: string[];
  /** A host is selected when it has any of these roles. */
  roles?: string[];
}

/** `a,b, c` into ['a', 'b', 'c'] (the form of --hosts and --roles). */
export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Whether a host answers the selection (every given selector must match). */
export function isSelected(target: HostTarget, selection: HostSelection): boolean {
  const names = [target.label, target.label.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), target.hostname];
  const byName = !selection.hosts || selection.hosts.some((glob) => names.some((name) => globMatch(glob, name)));
  const byRole = !selection.roles || selection.roles.some((role) => target.roles.includes(role));
  return byName && byRole;
}

/** The environment with only the selected hosts; throws naming the selector and the hosts available when none matches. */
export function selectHosts(environment: DeployEnvironment, selection: HostSelection): DeployEnvironment {
  const selectors = describeSelection(selection);
  if (selectors === null) return environment;
  for (const [flag, list] of [['--hosts', selection.hosts], ['--roles', selection.roles]] as const) {
    if (list && list.length === 0) throw new DeployConfigError(`${flag} names nothing: give a comma-separated list, e.g. ${flag} ${flag === '--hosts' ? "'web*'" : 'web,db'}`, { file: environment.file, environment: environment.name });
  }
  const globs = selection.hosts?.flatMap((glob) => {
    const expanded = expandHostRange(glob);
    if ('error' in expanded) throw new DeployConfigError(`--hosts '${glob}': ${expanded.error}`, { file: environment.file, environment: environment.name });
    return expanded.names;
  });
  const hosts = environment.hosts.filter((target) => isSelected(target, { ...selection, hosts: globs }));
  if (hosts.length === 0) {
    throw new DeployConfigError(`${selectors} matches no host of deploy.${environment.name} (hosts: ${listHosts(environment.hosts)})`, { file: environment.file, environment: environment.name });
  }
  return { ...environment, hosts, parallel: Math.min(environment.parallel, hosts.length) };
}

/** `--hosts 'web*' --roles db`, or null when nothing is selected. */
export function describeSelection(selection: HostSelection): string | null {
  const parts = [
    ...(selection.hosts ? [`--hosts '${selection.hosts.join(',')}'`] : []),
    ...(selection.roles ? [`--roles '${selection.roles.join(',')}'`] : []),
  ];
  return parts.length === 0 ? null : parts.join(' ');
}

const LISTED = 20;

function listHosts(hosts: HostTarget[]): string {
  const shown = hosts.slice(0, LISTED).map((target) => (target.roles.length > 0 ? `${target.label} [${target.roles.join(',')}]` : target.label));
  return hosts.length > LISTED ? `${shown.join(', ')} and ${hosts.length - LISTED} more` : shown.join(', ');
}
