// Values that would forge output or break a spawn: names with newlines or control characters,
// environment variables with NUL, instances past the limit. Each is refused at load, naming the
// file, the app and the key (never printing an environment value), and no app is returned.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { specFromCli } from '../../../cli/ecosystem/cli-options.js';
import { tmpDir, tmpFile } from './tmp-files.js';

const forever = join(FIXTURES, 'apps/forever.js');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH };

/** Loads a .js ecosystem file whose `apps` literal is `source` (JavaScript, so "\0" escapes work). */
async function errorFor(source: string, options: { envName?: string } = {}): Promise<EcosystemError> {
  const file = tmpFile('ecosystem.config.js', `module.exports = ${source};\n`);
  const error = await loadEcosystem(file, { baseEnv, ...options }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(EcosystemError);
  return error as EcosystemError;
}

describe('an environment variable holding NUL', () => {
  it.each([
    ['env', `{ apps: [{ name: 'api', script: '${forever}', env: { TOKEN: 's3cr3t\\0tail' } }] }`, {}, 'env.TOKEN'],
    ['env_production', `{ apps: [{ name: 'api', script: '${forever}', env_production: { TOKEN: 's3cr3t\\0tail' } }] }`, { envName: 'production' }, 'env_production.TOKEN'],
    ['a variable name', `{ apps: [{ name: 'api', script: '${forever}', env: { 'TO\\0KEN': 's3cr3t' } }] }`, {}, 'env.TO\0KEN'],
  ])('in %s is refused naming the file, the app and the variable, without its value', async (_where, source, options, key) => {
    const error = await errorFor(source, options);
    expect(error).toMatchObject({ code: 'ECOSYSTEM_INVALID', app: 'api', key });
    expect(error.file).toMatch(/ecosystem\.config\.js$/);
    expect(error.message).toMatch(new RegExp(`ecosystem\\.config\\.js: app 'api': \`${key.replace('\0', '.')}\` holds a NUL character, which no environment variable can carry$`));
    expect(error.message).not.toContain('s3cr3t');
  });

  it("in the deploy environment's env is refused with --env, naming its key", async () => {
    const error = await errorFor(`{ apps: [{ name: 'api', script: '${forever}' }], deploy: { production: { env: { TOKEN: 'a\\0b' } } } }`, { envName: 'production' });
    expect(error.message).toMatch(/ecosystem\.config\.js: `deploy\.production\.env\.TOKEN` holds a NUL character/);
    expect(error.key).toBe('deploy.production.env.TOKEN');
  });
});

describe('a name with a control character', () => {
  it.each([
    ['a newline', 'api\\n[PMX] Stopping app:api'],
    ['a carriage return', 'api\\rother'],
    ['an escape sequence', 'api\\u001b[2J'],
    ['a line separator', 'api\\u2028x'],
  ])('(%s) is refused, shown escaped so that it forges no line', async (_what, name) => {
    const error = await errorFor(`{ apps: [{ name: '${name}', script: '${forever}' }, { name: 'ok', script: '${forever}' }] }`);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).toMatch(/ecosystem\.config\.js: apps\[0\]: `name` must be a name of 1 to 256 characters without control characters such as a newline, got ".+" \(string\)$/);
  });

  it('is refused in a namespace too', async () => {
    const error = await errorFor(`{ apps: [{ name: 'api', namespace: 'ns\\nforged', script: '${forever}' }] }`);
    expect(error).toMatchObject({ app: 'api', key: 'namespace' });
  });

  it('is refused in `pmx start -n`, naming the flag', () => {
    expect(() => specFromCli(forever, { name: 'a\nb' }, [], baseEnv, process.cwd())).toThrow(
      'pmx start: `--name` must be a name of 1 to 256 characters without control characters such as a newline, got "a\\nb" (string)',
    );
  });

  it('is refused when it comes from the script file name', () => {
    const dir = tmpDir();
    const script = join(dir, 'evil\nname.js');
    writeFileSync(script, 'setInterval(() => {}, 1000);\n');
    expect(() => specFromCli(script, {}, [], baseEnv, dir)).toThrow(/`--name` must be a name without control characters such as a newline \(without `name`, the script file name is used\), got "evil\\nname"/);
  });
});

describe('instances', () => {
  it('past 1024 are refused, naming the limit', async () => {
    const error = await errorFor(`{ apps: [{ name: 'api', script: '${forever}', instances: 100000 }] }`);
    expect(error.message).toMatch(/app 'api': `instances` must be at most 1024 \(the limit of instances per app\), got 100000 \(number\)$/);
  });
});

describe('log_mode', () => {
  it('takes an octal string or a number', async () => {
    for (const mode of ["'0640'", '0o640', "'640'"]) {
      const file = tmpFile('ecosystem.config.js', `module.exports = { apps: [{ name: 'api', script: '${forever}', log_mode: ${mode} }] };\n`);
      expect((await loadEcosystem(file, { baseEnv })).apps[0]!.log_mode).toBe(0o640);
    }
  });

  it('refuses anything else', async () => {
    const error = await errorFor(`{ apps: [{ name: 'api', script: '${forever}', log_mode: 'rw-r-----' }] }`);
    expect(error.message).toMatch(/`log_mode` must be a file mode such as '0640' \(a string\) or 0o640, got 'rw-r-----' \(string\)$/);
  });
});
