// Every command answers --help with examples; the compiled-in version matches package.json.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PmxSandbox, ROOT } from '../../helpers/pmx.js';
import { PMX_VERSION } from '../../../agent/version.js';

const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());
const COMMANDS = ['start', 'stop', 'restart', 'reload', 'delete', 'reset', 'startOrRestart', 'startOrReload', 'ls', 'jlist', 'prettylist', 'describe', 'env', 'sendSignal', 'save', 'resurrect', 'kill', 'ping', 'update', 'flush', 'reloadLogs', 'logs', 'monit', 'metrics', 'dashboard', 'serve', 'startup', 'unstartup', 'deploy', 'init', 'completion'];

// each case is its own CLI process and none starts an agent: they run side by side
describe.concurrent('help', () => {
  it.each(COMMANDS)('pmx %s --help shows usage and examples without starting an agent', async (command) => {
    const out = await pmx.ok([command, '--help']);
    expect(out).toContain(`Usage: pmx ${command}`);
    expect(out).toContain('Examples:');
    expect(pmx.agentPid()).toBeNull();
    expect(existsSync(join(pmx.home, 'agent.sock'))).toBe(false);
  });

  it('prints the version of package.json', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(PMX_VERSION).toBe(version);
    expect((await pmx.ok(['--version'])).trim()).toBe(version);
    // and for PM2's short flags, -v and -V
    for (const flag of ['-v', '-V']) expect((await pmx.ok([flag])).trim()).toBe(version);
  });
});
