// An environment exec would refuse (E2BIG) is refused when the file is read, as a NUL is: one
// variable longer than Linux's MAX_ARG_STRLEN (131072 bytes as NAME=value with its NUL), or an
// environment with the arguments over pmx's 1 MiB; the message names the file, the app and the
// variable, the exit code is 1 and no app of the file is registered (regression: the file's other
// apps started and this one was registered errored with "spawn E2BIG", naming no variable).
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox } from '../../helpers/pmx.js';

const forever = join(FIXTURES, 'apps/forever.js');
const pmx = new PmxSandbox('pmx-env-size-');
afterAll(() => pmx.cleanup());

/** An ecosystem file of two apps: `first`, plain, and `big`, whose env is `env` (a JavaScript literal). */
function twoApps(name: string, env: string): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = { apps: [{ name: 'first', script: '${forever}' }, { name: 'big', script: '${forever}', env: ${env} }] };\n`);
  return file;
}

describe('an environment too large to start an app with', () => {
  it.each([
    ['one value of 5 MB', `{ BIG: 'x'.repeat(5e6) }`, /`env\.BIG` takes 5000005 bytes as NAME=value: more than 131072, Linux's limit for one environment variable \(MAX_ARG_STRLEN\)/],
    ['one value of 20 MB (past the 16 MB a request may take)', `{ BIG: 'x'.repeat(20e6) }`, /`env\.BIG` takes 20000005 bytes as NAME=value: more than 131072/],
    ['one byte over MAX_ARG_STRLEN', `{ BIG: 'x'.repeat(131072 - 'BIG='.length) }`, /`env\.BIG` takes 131073 bytes as NAME=value/],
    ['many values that fit, 1.2 MB in all', `Object.fromEntries(Array.from({ length: 12 }, (_, i) => ['V' + i, 'x'.repeat(1e5)]))`, /the environment as a whole, with the arguments, takes \d+ bytes: more than the 1048576 \(1 MiB\) pmx starts an app with/],
  ])('(%s) is refused at load naming the file, the app and the variable; nothing starts', async (_what, env, message) => {
    const file = twoApps('big', env);
    const result = await pmx.run(['start', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("big.config.js: app 'big': ");
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('xxxx');
    expect(await pmx.jlist()).toEqual([]);
  });

  it('a value of exactly MAX_ARG_STRLEN as NAME=value starts, its value intact', async () => {
    const value = 'x'.repeat(131072 - 'BIG='.length - 1);
    await pmx.ok(['start', twoApps('fits', `{ BIG: '${value}' }`)]);
    const big = await pmx.proc('big');
    expect(big.pm2_env.status).toBe('online');
    expect(big.pm2_env.env.BIG).toBe(value);
    await pmx.ok(['delete', 'all']);
  });
});
