// The init systems `pmx startup` knows: for each, its template, where the file goes, and the
// commands that enable and disable it at boot. Data only; install.ts runs the commands.
import { StartupError } from './errors.js';

export const INIT_SYSTEMS = ['systemd', 'launchd', 'openrc', 'upstart', 'systemv', 'rcd'] as const;

export type InitSystem = (typeof INIT_SYSTEMS)[number];

/** The syntax a template is written in, which decides how values are escaped into it. */
export type TemplateFormat = 'systemd' | 'plist' | 'shell' | 'upstart';

/** One command, given as alternatives: the first whose program is installed is run. */
export type Step = string[][];

/** How one init system takes a service. */
export interface InitLayout {
  /** File name under deploy-templates/init/. */
  template: string;
  format: TemplateFormat;
  mode: number;
  /** The file's absolute path for a service name (before any destination root). */
  destination(service: string): string;
  /** Commands that make the installed file start at boot. */
  enable(service: string, file: string): Step[];
  /** Commands to run before the file is removed. */
  disable(service: string, file: string): Step[];
  /** Commands that make the init system read its files again, after a write or a removal. */
  reload: Step[];
  /** The command that starts the service now, or null when enabling already started it. */
  start(service: string): string[] | null;
}

/** rc.subr names are shell variable names: `pmx-alice` becomes `pmx_alice`. */
export function rcName(service: string): string {
  return service.replace(/[^A-Za-z0-9_]/g, '_');
}

export const LAYOUTS: Record<InitSystem, InitLayout> = {
  systemd: {
    template: 'systemd.service',
    format: 'systemd',
    mode: 0o644,
    destination: (service) => `/etc/systemd/system/${service}.service`,
    enable: (service) => [[['systemctl', 'enable', `${service}.service`]]],
    disable: (service) => [[['systemctl', 'disable', `${service}.service`]]],
    reload: [[['systemctl', 'daemon-reload']]],
    start: (service) => ['systemctl', 'start', `${service}.service`],
  },
  launchd: {
    template: 'launchd.plist',
    format: 'plist',
    mode: 0o644,
    destination: (service) => `/Library/LaunchDaemons/${service}.plist`,
    enable: (_service, file) => [[['launchctl', 'load', '-w', file]]],
    disable: (_service, file) => [[['launchctl', 'unload', '-w', file]]],
    reload: [],
    start: () => null, // RunAtLoad: loading it started it
  },
  openrc: {
    template: 'openrc',
    format: 'shell',
    mode: 0o755,
    destination: (service) => `/etc/init.d/${service}`,
    enable: (service) => [[['rc-update', 'add', service, 'default']]],
    disable: (service) => [[['rc-update', 'del', service, 'default']]],
    reload: [],
    start: (service) => ['rc-service', service, 'start'],
  },
  upstart: {
    template: 'upstart.conf',
    format: 'upstart',
    mode: 0o644,
    destination: (service) => `/etc/init/${service}.conf`,
    // upstart reads /etc/init by itself: reloading only makes it notice at once
    enable: () => [],
    disable: () => [],
    reload: [[['initctl', 'reload-configuration']]],
    start: (service) => ['initctl', 'start', service],
  },
  systemv: {
    template: 'systemv.sh',
    format: 'shell',
    mode: 0o755,
    destination: (service) => `/etc/init.d/${service}`,
    enable: (service) => [[['update-rc.d', service, 'defaults'], ['chkconfig', '--add', service]]],
    disable: (service) => [[['update-rc.d', '-f', service, 'remove'], ['chkconfig', '--del', service]]],
    reload: [],
    start: (service) => ['service', service, 'start'],
  },
  rcd: {
    template: 'rcd.sh',
    format: 'shell',
    mode: 0o755,
    destination: (service) => `/usr/local/etc/rc.d/${rcName(service)}`,
    enable: (service) => [[['sysrc', `${rcName(service)}_enable=YES`]]],
    disable: (service) => [[['sysrc', '-x', `${rcName(service)}_enable`]]],
    reload: [],
    start: (service) => ['service', rcName(service), 'start'],
  },
};

/** `name` as an init system, or a StartupError that lists the known ones. */
export function parseInitSystem(name: string): InitSystem {
  const found = INIT_SYSTEMS.find((system) => system === name.toLowerCase());
  if (found) return found;
  throw new StartupError(`unknown init system '${name}'`, { code: 'UNKNOWN_INIT_SYSTEM', hint: `use one of: ${INIT_SYSTEMS.join(', ')}`, data: { name } });
}

/** Service names become file names and unit names: letters, digits and `_ . @ -` only. */
export function checkServiceName(name: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/.test(name) && !name.includes('..')) return name;
  throw new StartupError(`--service-name must start with a letter or digit and hold only letters, digits, '_', '.', '@' and '-', got '${name}'`, { code: 'BAD_SERVICE_NAME', hint: "for example --service-name pmx-api", data: { name } }
  );
}
