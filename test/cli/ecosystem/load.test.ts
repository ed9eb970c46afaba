// Loading ecosystem files of every format and shape from disk, and the errors for unreadable ones.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';
import { tmpFile } from './tmp-files.js';

const dir = join(FIXTURES, 'ecosystem');
const apps = join(FIXTURES, 'apps');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH, SHELL_ONLY: 'yes' };

const load = (name: string) => loadEcosystem(join(dir, name), { baseEnv });
const failure = async (name: string): Promise<EcosystemError> => {
  const error = await load(name).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(EcosystemError);
  return error as EcosystemError;
};

describe('formats', () => {
  it('reads a CommonJS .js file even inside a "type": "module" package, as PM2 users write them', async () => {
    const loaded = await load('single.config.js');
    expect(loaded.apps.map((app) => app.name)).toEqual(['single']);
    expect(loaded.file).toBe(join(dir, 'single.config.js'));
  });

  it('reads an ES module .js file through its default export', async () => {
    expect((await load('esm-default.config.js')).apps[0]).toMatchObject({ name: 'esm-js-app', script: join(apps, 'forever.js') });
  });

  it('reads .cjs and .mjs files', async () => {
    expect((await load('cjs.config.cjs')).apps[0]!.name).toBe('cjs-app');
    expect((await load('esm.config.mjs')).apps[0]!.name).toBe('esm-app');
  });

  it('reads JSON, and JSON with comments and trailing commas as PM2 does', async () => {
    expect((await load('apps.json')).apps[0]).toMatchObject({ name: 'json-app', env: expect.objectContaining({ A: '1' }) });
    expect((await load('lenient.json')).apps[0]!.name).toBe('lenient-app');
  });

  it("reads JSON that uses process.env, as PM2 evaluates it (`\"PORT\": process.env.PORT || \"3000\"`); anything else it cannot evaluate is named as such, not as invalid JSON", async () => {
    const file = tmpFile('ecosystem.json', `{ "apps": [{ "name": "envy", "script": ${JSON.stringify(join(apps, 'forever.js'))}, "env": { "PORT": process.env.PROBE_PORT || "3000", "FROM": process.env.NOT_SET_ANYWHERE || "default" } }] }`);
    process.env.PROBE_PORT = '4123';
    try {
      expect((await loadEcosystem(file, { baseEnv })).apps[0]!.env).toMatchObject({ PORT: '4123', FROM: 'default' });
    } finally {
      delete process.env.PROBE_PORT;
    }
    const other = tmpFile('ecosystem.json', `{ "apps": [{ "name": "x", "script": require("path").join("a", "b") }] }`);
    const error = await loadEcosystem(other, { baseEnv }).catch((caught: unknown) => caught as EcosystemError);
    expect((error as EcosystemError).message).toMatch(/ecosystem\.json: cannot evaluate: ReferenceError: require is not defined \(a JSON file may use process\.env; write a \.js file for more\)$/);
  });

  it('reads .yaml and .yml', async () => {
    expect((await load('apps.yaml')).apps[0]).toMatchObject({ name: 'yaml-app', instances: 2, exec_mode: 'fork_mode', env: expect.objectContaining({ A: '2' }) });
    expect((await load('apps.yml')).apps[0]).toMatchObject({ name: 'yml-app', interpreter: 'python3', args: ['--port', '8000'] });
  });

  it('reads YAML anchors and merge keys (`<<: *defaults`), as PM2 does', async () => {
    const file = tmpFile('ecosystem.yml', [
      'defaults: &defaults',
      `  script: ${join(apps, 'forever.js')}`,
      '  env:',
      '    NODE_ENV: production',
      'apps:',
      '  - <<: *defaults',
      '    name: y1',
      '  - <<: *defaults',
      '    name: y2',
      '    env:',
      '      NODE_ENV: staging',
      '',
    ].join('\n'));
    const loaded = await loadEcosystem(file, { baseEnv });
    expect(loaded.apps.map((app) => [app.name, app.script, app.env.NODE_ENV])).toEqual([
      ['y1', join(apps, 'forever.js'), 'production'],
      ['y2', join(apps, 'forever.js'), 'staging'],
    ]);
  });
});

describe('shapes', () => {
  it('takes `apps` as an array, as one object, a bare array, or a single app', async () => {
    expect((await load('pm2-docs.config.js')).apps).toHaveLength(2);
    expect((await load('cjs.config.cjs')).apps).toHaveLength(1);
    expect((await load('esm-default.config.js')).apps).toHaveLength(1);
    expect((await load('single.config.js')).apps).toHaveLength(1);
  });

  it('returns the deploy section as it is, also from a file without apps', async () => {
    expect((await load('pm2-docs.config.js')).deploy).toHaveProperty('production.path', '/var/www/production');
    const deployOnly = await load('deploy-only.config.js');
    expect(deployOnly.apps).toEqual([]);
    expect(deployOnly.deploy).toHaveProperty('staging.host', 'h');
  });

  it('rejects content that holds no apps', async () => {
    const file = tmpFile('ecosystem.json', JSON.stringify({ applications: [] }));
    await expect(loadEcosystem(file, { baseEnv })).rejects.toThrow(/ecosystem\.json: expected an `apps` array \(or a single app with `script`\), got \{"applications":\[\]\} \(object\)/);
    const numbers = tmpFile('ecosystem.json', JSON.stringify({ apps: [1] }));
    await expect(loadEcosystem(numbers, { baseEnv })).rejects.toThrow(/apps\[0\] must be an object, got 1 \(number\)/);
  });
});

describe('unreadable files', () => {
  it('names a missing file', async () => {
    const error = await failure('absent.config.js');
    expect(error.code).toBe('ECOSYSTEM_UNREADABLE');
    expect(error.message).toMatch(/absent\.config\.js: cannot read: no such file$/);
    expect(error.file).toBe(join(dir, 'absent.config.js'));
  });

  it('names the file and line of a JavaScript syntax error, keeping the cause', async () => {
    const error = await failure('syntax-error.config.js');
    expect(error.message).toMatch(/syntax-error\.config\.js: cannot load: SyntaxError: Unexpected end of input \(line 2\)$/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('names the file, line and column of an exception thrown while evaluating it', async () => {
    const error = await failure('throws.config.js');
    expect(error.message).toMatch(/throws\.config\.js: cannot load: ReferenceError: missingVariable is not defined \(line 2, column \d+\)$/);
  });

  it('names the line and column of a JSON error', async () => {
    const error = await failure('bad.json');
    expect(error.code).toBe('ECOSYSTEM_UNREADABLE');
    expect(error.message).toMatch(/bad\.json: invalid JSON at line 4, column 5: expected ',' or '\]', found "\{"$/);
  });

  it('names the line and column of a YAML error', async () => {
    const error = await failure('bad.yaml');
    expect(error.message).toMatch(/bad\.yaml: invalid YAML at line 4, column \d+: /);
  });
});
