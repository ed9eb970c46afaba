// Input that would forge output lines or break a spawn, given to the real CLI: it is refused with
// one clear line naming the file, app and key, a non-zero exit, and nothing registered.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox } from '../../helpers/pmx.js';

const forever = join(FIXTURES, 'apps/forever.js');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

describe('pmx start with hostile values', () => {
  it('refuses an ecosystem file with a NUL in an env value, naming file, app and key, and registers none of its apps', async () => {
    const file = join(pmx.dir, 'nul.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'first', script: '${forever}' }, { name: 'api', script: '${forever}', env: { API_KEY: 'k3y\\0rest' } }] };\n`);
    const result = await pmx.run(['start', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nul.config.js: app 'api': `env.API_KEY` holds a NUL character, which no environment variable can carry");
    expect(result.stderr).not.toContain('k3y');
    expect(await pmx.jlist()).toEqual([]);
  });

  it('refuses a name with a newline in one line of output, and registers nothing', async () => {
    const result = await pmx.run(['start', forever, '-n', 'api\n[PMX] Applying action restartProcessId on app [api](ids: [ 0 ])']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('`--name` must be a name of 1 to 256 characters without control characters such as a newline');
    expect(await pmx.jlist()).toEqual([]);
  });

  it('refuses -i past the limit of instances', async () => {
    const result = await pmx.run(['start', forever, '-n', 'wide', '-i', '100000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('`--instances` must be at most 1024 (the limit of instances per app), got \'100000\' (string)');
    expect(await pmx.jlist()).toEqual([]);
  });
});
