// Init-system detection: the running init first, then the installed tools (containers).
import { describe, expect, it } from 'vitest';
import { detectInitSystem, type InitProbe } from '../../../cli/startup/detect.js';

function probe(options: { platform?: NodeJS.Platform; paths?: string[]; tools?: string[]; pid1?: string }): InitProbe {
  return {
    platform: options.platform ?? 'linux',
    exists: (path) => (options.paths ?? []).includes(path),
    which: (command) => ((options.tools ?? []).includes(command) ? `/usr/bin/${command}` : null),
    pid1: () => options.pid1 ?? null,
  };
}

describe('detectInitSystem', () => {
  it('finds a running systemd by /run/systemd/system, as sd_booted does', () => {
    expect(detectInitSystem(probe({ paths: ['/run/systemd/system'], tools: ['systemctl'], pid1: 'systemd' }))).toMatchObject({ system: 'systemd', running: true });
  });

  it('finds a running openrc and upstart', () => {
    expect(detectInitSystem(probe({ paths: ['/run/openrc/softlevel'], tools: ['rc-update'], pid1: 'init' }))).toMatchObject({ system: 'openrc', running: true });
    expect(detectInitSystem(probe({ paths: ['/etc/init'], tools: ['initctl', 'update-rc.d'], pid1: 'init' }))).toMatchObject({ system: 'upstart', running: true });
  });

  it('in a container (PID 1 is no init) names the installed init system, as not running', () => {
    const found = detectInitSystem(probe({ tools: ['systemctl', 'update-rc.d'], pid1: 'node' }));
    expect(found).toMatchObject({ system: 'systemd', running: false });
    expect(found?.evidence).toContain('PID 1 is node');
    expect(detectInitSystem(probe({ tools: ['update-rc.d'], pid1: 'bash' }))).toMatchObject({ system: 'systemv', running: false });
    expect(detectInitSystem(probe({ tools: ['chkconfig'], pid1: 'bash' }))).toMatchObject({ system: 'systemv' });
  });

  it('names launchd on macOS and rc.d on FreeBSD', () => {
    expect(detectInitSystem(probe({ platform: 'darwin' }))?.system).toBe('launchd');
    expect(detectInitSystem(probe({ platform: 'freebsd' }))?.system).toBe('rcd');
  });

  it('returns null when nothing is recognised', () => {
    expect(detectInitSystem(probe({ pid1: 'sh' }))).toBeNull();
  });
});
