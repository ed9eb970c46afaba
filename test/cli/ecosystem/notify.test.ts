// `notify` and `watchdog`: read into the spec (the watchdog as ms); `notify: true` turns wait_ready
// on, as systemd's Type=notify waits for READY=1; wait_ready on an app that is not Node, or a
// watchdog, turns the notify socket on. A wrong value names the file, the app and the key.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { specProblem } from '../../../agent/rpc/spec-check.js';
import { tmpFile } from './tmp-files.js';

const baseEnv = { HOME: '/home/x', PATH: process.env.PATH };

function fileWith(keys: Record<string, unknown>, script = 'apps/forever.js'): string {
  return tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: join(FIXTURES, script), ...keys }] })};\n`);
}

const specOf = async (keys: Record<string, unknown>, script?: string) => (await loadEcosystem(fileWith(keys, script), { baseEnv })).apps[0]!;

describe('notify and watchdog', () => {
  it('are off by default', async () => {
    const spec = await specOf({});
    expect([spec.notify, spec.watchdog, spec.wait_ready]).toEqual([false, 0, false]);
  });

  it('notify: true waits for READY=1 unless wait_ready says otherwise', async () => {
    const spec = await specOf({ notify: true });
    expect([spec.notify, spec.wait_ready]).toEqual([true, true]);
    expect(specProblem(spec, 0)).toBeNull();
    expect((await specOf({ notify: true, wait_ready: false })).wait_ready).toBe(false);
  });

  it('wait_ready gives a Python app the notify socket, not a Node app (it has process.send)', async () => {
    expect((await specOf({ wait_ready: true }, 'apps/worker.py')).notify).toBe(true);
    expect((await specOf({ wait_ready: true })).notify).toBe(false);
  });

  it('reads watchdog as ms, and it turns the notify socket on without waiting for READY=1', async () => {
    const spec = await specOf({ watchdog: '10s' });
    expect([spec.watchdog, spec.notify, spec.wait_ready]).toEqual([10_000, true, false]);
    expect((await specOf({ watchdog: 0 })).watchdog).toBe(0);
    expect((await specOf({ watchdog: '1s' })).watchdog).toBe(1000);
  });

  it.each([
    [{ watchdog: '-1s' }, 'watchdog'],
    [{ watchdog: 'often' }, 'watchdog'],
    // shorter than an app can keep while it starts: it restarted an app 33 times a second, for ever
    [{ watchdog: '1ms' }, 'watchdog'],
    [{ watchdog: 999 }, 'watchdog'],
    [{ notify: 'yes' }, 'notify'],
  ])('refuses %j, naming the file, the app and the key', async (keys, key) => {
    const error = await loadEcosystem(fileWith(keys), { baseEnv }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EcosystemError);
    expect((error as EcosystemError).message).toMatch(new RegExp(`ecosystem\\.config\\.js: app 'api': \`${key}\` must be`));
  });

  it('is refused by the agent when it reaches it malformed', async () => {
    const spec = await specOf({});
    expect(specProblem({ ...spec, watchdog: -5 }, 0)).toMatch(/watchdog/);
    expect(specProblem({ ...spec, notify: 'yes' }, 0)).toMatch(/notify/);
  });
});
