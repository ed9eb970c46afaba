// Writing and removing hooks under a destination root, and which enable/disable commands run.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installService, removeService, runInitCommands, type CommandRunner } from '../../../cli/startup/install.js';
import { INIT_SYSTEMS, LAYOUTS } from '../../../cli/startup/systems.js';

const root = mkdtempSync(join(tmpdir(), 'pmx-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A runner that records what it was asked to run; `installed` programs answer with `code`. */
function recorder(installed: string[], code = 0): { run: CommandRunner; ran: string[] } {
  const ran: string[] = [];
  const run: CommandRunner = (argv) => {
    if (!installed.includes(argv[0]!)) return null;
    ran.push(argv.join(' '));
    return { code, output: code === 0 ? '' : 'it went wrong' };
  };
  return { run, ran };
}

describe('installService under PMX_STARTUP_ROOT', () => {
  it.each(INIT_SYSTEMS)('writes the %s hook with its mode under the root, and removes it', (system) => {
    const { run, ran } = recorder(['systemctl']);
    const path = LAYOUTS[system].destination('pmx-x');
    const outcome = installService({ system, path, mode: LAYOUTS[system].mode, text: `hook for ${system}\n` }, 'pmx-x', { root, initRunning: true, run });
    expect(outcome.file).toBe(join(root, path));
    expect(readFileSync(outcome.file, 'utf8')).toBe(`hook for ${system}\n`);
    expect(statSync(outcome.file).mode & 0o777).toBe(LAYOUTS[system].mode);
    expect(readdirSync(join(outcome.file, '..')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    if (system === 'systemd') {
      expect(ran).toEqual([`systemctl --root=${root} enable pmx-x.service`]);
    } else {
      expect(ran).toEqual([]); // nothing of the real system is touched
      expect(outcome.steps.every((step) => step.status === 'pending' && step.why === 'destination-root')).toBe(true);
    }
    const removed = removeService(system, 'pmx-x', { root, initRunning: true, run });
    expect(removed.existed).toBe(true);
    expect(existsSync(outcome.file)).toBe(false);
    expect(removeService(system, 'pmx-x', { root, initRunning: true, run }).existed).toBe(false);
  });
});

describe('runInitCommands on the real root', () => {
  it('reloads and enables with a running systemd', () => {
    const { run, ran } = recorder(['systemctl']);
    runInitCommands('systemd', 'reload', 'pmx-a', { root: null, initRunning: true, run });
    runInitCommands('systemd', 'enable', 'pmx-a', { root: null, initRunning: true, run });
    expect(ran).toEqual(['systemctl daemon-reload', 'systemctl enable pmx-a.service']);
  });

  it('enables offline when systemd is not PID 1 (a container), without failing', () => {
    const { run, ran } = recorder(['systemctl']);
    const steps = [...runInitCommands('systemd', 'reload', 'pmx-a', { root: null, initRunning: false, run }), ...runInitCommands('systemd', 'enable', 'pmx-a', { root: null, initRunning: false, run })];
    expect(ran).toEqual(['systemctl --root=/ enable pmx-a.service']);
    expect(steps.map((step) => step.status)).toEqual(['ran']);
  });

  it('falls back to chkconfig where update-rc.d is missing', () => {
    const { run, ran } = recorder(['chkconfig']);
    runInitCommands('systemv', 'enable', 'pmx-a', { root: null, initRunning: true, run });
    expect(ran).toEqual(['chkconfig --add pmx-a']);
  });

  it('reports a failed command and a missing program without throwing', () => {
    const failing = recorder(['rc-update'], 1);
    expect(runInitCommands('openrc', 'enable', 'pmx-a', { root: null, initRunning: true, run: failing.run })).toEqual([
      { argv: ['rc-update', 'add', 'pmx-a', 'default'], status: 'failed', output: 'it went wrong', why: null },
    ]);
    const missing = recorder([]);
    expect(runInitCommands('rcd', 'disable', 'pmx-a', { root: null, initRunning: true, run: missing.run })).toEqual([
      { argv: ['sysrc', '-x', 'pmx_a_enable'], status: 'pending', output: '', why: 'not-installed' },
    ]);
  });
});
