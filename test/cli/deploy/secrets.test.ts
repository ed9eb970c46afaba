// `env_file` and `secrets` of a deploy environment: config errors that name file, environment and
// key; secret commands run locally once, in the ecosystem file's directory, their stdout the
// value; a failing or silent command fails naming the secret and its exit status, never its output.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDeployEnvironment } from '../../../cli/deploy/config.js';
import { DeployConfigError } from '../../../cli/deploy/errors.js';
import { DeployStepError } from '../../../cli/deploy/run-error.js';
import { SecretMask } from '../../../cli/deploy/secret-mask.js';
import { resolveSecrets, secretsForRun } from '../../../cli/deploy/secrets.js';
import { failure } from './config-failure.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-deploy-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'ecosystem.config.js');
const base = { repo: 'git@example.com:me/app.git', ref: 'origin/main', path: '/srv/app', host: 'a' };
const read = (section: Record<string, unknown>) => readDeployEnvironment({ production: { ...base, ...section } }, 'production', file, { home: dir, env: { USER: 'me' } });
writeFileSync(join(dir, '.env.production'), 'GREETING=hello\n');

describe('env_file and secrets in the config', () => {
  it('env_file resolves against the ecosystem file; secrets keep their names and commands', () => {
    const env = read({ env_file: '.env.production', secrets: { DB_PASSWORD: 'pass show prod/db', api_key: 'cat ~/.keys/api' } });
    expect(env.envFile).toBe(join(dir, '.env.production'));
    expect(env.secrets).toEqual([{ name: 'DB_PASSWORD', command: 'pass show prod/db' }, { name: 'api_key', command: 'cat ~/.keys/api' }]);
    expect(env.warnings).toEqual([]);
    expect(read({})).toMatchObject({ envFile: null, secrets: [] });
  });

  it('a missing env_file, or one that is not a file, is an error naming the file, the environment and the key', () => {
    const missing = failure(() => read({ env_file: '.env.nope' }));
    expect([missing.file, missing.environment, missing.key]).toEqual([file, 'production', 'env_file']);
    expect(missing.message).toBe(`ecosystem.config.js: deploy.production.env_file: expected a readable local file (${join(dir, '.env.nope')} does not exist), got ".env.nope" (string)`);
    mkdirSync(join(dir, 'a-dir'));
    expect(failure(() => read({ env_file: 'a-dir' })).message).toContain(`(${join(dir, 'a-dir')} is not a file)`);
    expect(failure(() => read({ env_file: 3 })).message).toContain("deploy.production.env_file: expected a path to a local file, relative to the ecosystem file, such as '.env.production', got 3 (number)");
  });

  it('a secret name that is not a variable name, or a command that is not a string, is an error naming the key', () => {
    const name = failure(() => read({ secrets: { 'DB-PASSWORD': 'x' } }));
    expect([name.key, name.message]).toEqual(['secrets.DB-PASSWORD', 'ecosystem.config.js: deploy.production.secrets.DB-PASSWORD: expected a variable name of letters, digits and _ (not starting with a digit), got "DB-PASSWORD" (string)']);
    expect(failure(() => read({ secrets: { '1ST': 'x' } })).key).toBe('secrets.1ST');
    expect(failure(() => read({ secrets: { KEY: '' } })).message).toContain('deploy.production.secrets.KEY: expected a local command that prints the value, got "" (string)');
    expect(failure(() => read({ secrets: ['pass show x'] })).key).toBe('secrets');
  });

  it("a secret named PATH (or another variable pmx's commands on the hosts rely on) is refused naming the key: exported before them, it broke pmx's own mkdir and the error blamed the user's hook", () => {
    const path = failure(() => read({ secrets: { DB_PASSWORD: 'x', PATH: 'cat path.txt' } }));
    expect([path.key, path.message]).toEqual([
      'secrets.PATH',
      "ecosystem.config.js: deploy.production.secrets.PATH: expected a name other than PATH, HOME, IFS, LD_PRELOAD, LD_LIBRARY_PATH, PMX_HOME, SHARED, RELEASE, PREVIOUS_RELEASE (pmx's own commands on the hosts use these, and hooks run with them exported), got \"PATH\" (string)",
    ]);
    for (const name of ['HOME', 'RELEASE', 'SHARED', 'PREVIOUS_RELEASE']) expect(failure(() => read({ secrets: { [name]: 'x' } })).key).toBe(`secrets.${name}`);
    // names are case-sensitive, as the shell's: `path` is another variable
    expect(read({ secrets: { path: 'x', RELEASE_TOKEN: 'y' } }).secrets.map((s) => s.name)).toEqual(['path', 'RELEASE_TOKEN']);
  });
});

describe('reading the values on this machine', () => {
  const runs = join(dir, 'runs');

  it('runs each command once, in the ecosystem file directory, its stdout less trailing newlines the value; reads the env_file', async () => {
    writeFileSync(join(dir, 'db'), 'pa ss\nword\n\n');
    const env = read({ env_file: '.env.production', secrets: { DB_PASSWORD: `cat db; echo run >> ${runs}`, WHERE: 'pwd' } });
    const secrets = (await resolveSecrets(env))!;
    expect(secrets.values).toEqual([{ name: 'DB_PASSWORD', value: 'pa ss\nword' }, { name: 'WHERE', value: dir }]);
    expect(secrets.envFile?.toString()).toBe('GREETING=hello\n');
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    expect(new SecretMask(secrets.values.map((s) => s.value)).apply(`x pa ss y ${dir}`)).toBe('x *** y ***');
    expect(await resolveSecrets(read({}))).toBeNull();
  });

  it('a failing command fails naming the secret and its exit code, not what it printed (its stderr may hold the value)', async () => {
    const env = read({ secrets: { OK: 'echo fine', DB_PASSWORD: 'echo the-value-itself; echo the-value-itself >&2; exit 3' } });
    const error = await resolveSecrets(env).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeployStepError);
    expect((error as DeployStepError).code).toBe('SECRET_FAILED');
    expect((error as DeployStepError).message).toBe('ecosystem.config.js: deploy.production.secrets.DB_PASSWORD: its command failed (exit 3); no host was touched');
    expect(JSON.stringify({ ...(error as DeployStepError), message: (error as Error).message })).not.toContain('the-value-itself');
  });

  it('a command that prints nothing fails naming the secret', async () => {
    const error = await resolveSecrets(read({ secrets: { EMPTY: 'printf "\\n"' } })).catch((caught: Error) => caught);
    expect((error as Error).message).toBe('ecosystem.config.js: deploy.production.secrets.EMPTY: its command printed nothing; no host was touched');
  });

  it('an env_file gone since the config was read is a config error naming it', async () => {
    writeFileSync(join(dir, '.env.gone'), 'A=1\n');
    const env = read({ env_file: '.env.gone' });
    rmSync(join(dir, '.env.gone'));
    const error = await resolveSecrets(env).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(DeployConfigError);
    expect([(error as DeployConfigError).key, (error as Error).message]).toEqual(['env_file', `ecosystem.config.js: deploy.production.env_file: ${join(dir, '.env.gone')} does not exist`]);
  });

  it('a revert reads the values only to mask them: a failing command is a warning naming it, the others still mask; a rehearsal runs none', async () => {
    const env = read({ env_file: '.env.production', secrets: { GONE: 'echo the-value-itself >&2; exit 2', KEPT: `echo kept-value; echo run >> ${runs}` } });
    const warnings: string[] = [];
    const secrets = (await secretsForRun('revert', false, env, (message) => warnings.push(message)))!;
    expect([secrets.envFile, secrets.values]).toEqual([null, [{ name: 'KEPT', value: 'kept-value' }]]);
    expect(new SecretMask(secrets.values.map((s) => s.value)).apply('a kept-value b')).toBe('a *** b');
    expect(warnings).toEqual(["ecosystem.config.js: deploy.production.secrets.GONE: its command failed (exit 2): pmx masks only the value of GONE the hosts hold in this run's output (hooks on the hosts mask it too)"]);
    const before = readFileSync(runs, 'utf8');
    expect(await secretsForRun('deploy', true, env, () => undefined)).toBeNull();
    expect(await secretsForRun('list', false, env, () => undefined)).toBeNull();
    expect(readFileSync(runs, 'utf8')).toBe(before);
  });
});

describe('the values of an env_file, for the mask', () => {
  it('reads bare, quoted and exported values, drops comments and blank lines; a bare value with a # both whole and cut there, as dotenv cuts it', async () => {
    const { envFileValues } = await import('../../../cli/deploy/secret-mask.js');
    const text = `# a comment\n\nNODE_ENV=production\nexport TOKEN="tok en"\nKEY='k#1'\nURL=https://x/#frag # the url\nEMPTY=\nSPACED = s p \r\n`;
    expect(envFileValues(text)).toEqual(['production', '"tok en"', 'tok en', "'k#1'", "'k", 'k#1', 'https://x/#frag', 'https://x/', 's p']);
  });
});
