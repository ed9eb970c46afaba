// `restart_limit`: read into the spec (its interval as ms); a wrong value names the file, the app,
// the key and the inner key at fault, and the agent's own check refuses what the CLI would.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { specProblem } from '../../../agent/rpc/spec-check.js';
import { tmpFile } from './tmp-files.js';

const baseEnv = { HOME: '/home/x', PATH: process.env.PATH };

function fileWith(keys: Record<string, unknown>): string {
  return tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: join(FIXTURES, 'apps/forever.js'), ...keys }] })};\n`);
}

describe('restart_limit', () => {
  it('reads burst and interval, and is off by default', async () => {
    const { apps } = await loadEcosystem(fileWith({ restart_limit: { burst: 5, interval: '10s' } }), { baseEnv });
    expect(apps[0]!.restart_limit).toEqual({ burst: 5, interval: 10_000 });
    expect(specProblem(apps[0]!)).toBeNull();
    expect((await loadEcosystem(fileWith({}), { baseEnv })).apps[0]!.restart_limit).toBeNull();
  });

  it.each([
    [{ burst: 0, interval: '10s' }, 'its burst must be a whole number of at least 1'],
    [{ burst: 5 }, 'its interval must be a duration above 0'],
    [{ burst: 5, interval: '10s', reset: true }, '(unknown: reset)'],
    [5, "an object { burst: <restarts, at least 1>, interval: <a duration such as '10s'> }, or null for none"],
  ])('refuses %j, naming what is wrong', async (value, expected) => {
    const error = await loadEcosystem(fileWith({ restart_limit: value }), { baseEnv }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EcosystemError);
    expect((error as EcosystemError).message).toMatch(/ecosystem\.config\.js: app 'api': `restart_limit` must be/);
    expect((error as EcosystemError).message).toContain(expected);
  });

  it('is refused by the agent when it reaches it malformed', async () => {
    const { apps } = await loadEcosystem(fileWith({}), { baseEnv });
    expect(specProblem({ ...apps[0]!, restart_limit: { burst: 0, interval: 10 } })).toMatch(/restart_limit/);
  });
});
