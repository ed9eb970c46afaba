// The secret builders run by a real sh (and the host-side mask by a real node): a private file
// written from stdin, the secrets file sourced by a hook, values masked in its output and log the
// same way pmx masks them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hookCommand } from '../../../cli/deploy/hook-command.js';
import { envFileValues, heldSecretsCommand, heldSecretValues, maskFilterCommand, SecretMask, secretsFileValues } from '../../../cli/deploy/secret-mask.js';
import { dropKeptFilesCommand, keepFilesCommand, receivePrivateFileCommand, restoreFilesCommand, secretsFileText, sourceSecretsCommand } from '../../../cli/deploy/secret-commands.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-secret-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(command: string, input?: string, env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', command], { input, encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...env } });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// values a shell would mangle if they were not quoted: quotes, $, backslashes, spaces, a second line
const VALUES = [
  { name: 'DB_PASSWORD', value: `it's $HOME \\n "quoted" \`x\`` },
  { name: 'API_KEY', value: 'line-one-abc\nline-two-xyz' },
];

describe('a private file from stdin', () => {
  it('is written 0600 through a temp file, over an existing file of another mode; the command names what it carries, never the values', () => {
    const file = join(dir, 'shared', '.secrets.env');
    mkdirSync(join(dir, 'shared'));
    writeFileSync(file, 'old', { mode: 0o644 });
    const text = secretsFileText(VALUES);
    const command = receivePrivateFileCommand(file, VALUES.map((v) => v.name));
    expect(command).toContain(': carries DB_PASSWORD API_KEY on stdin');
    for (const { value } of VALUES) expect(command).not.toContain(value.split('\n')[0]);
    expect(sh(command, text).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('sourced by a shell gives back each value exactly', () => {
    const file = join(dir, 'sourced.env');
    writeFileSync(file, secretsFileText(VALUES));
    const result = sh(`${sourceSecretsCommand(file)} && node -e 'console.log(JSON.stringify([process.env.DB_PASSWORD, process.env.API_KEY]))'`);
    expect(JSON.parse(result.stdout)).toEqual(VALUES.map((v) => v.value));
    expect(sh(`${sourceSecretsCommand(join(dir, 'absent.env'))} && echo went-on`).stdout).toBe('went-on\n');
  });
});

describe('what a deploy replaces is kept until it stands', () => {
  const shared = join(dir, 'kept shared');
  mkdirSync(shared);
  const env = join(shared, '.env');
  const secrets = join(shared, '.secrets.env');
  const replace = (release: string, text: string): void => {
    expect(sh(keepFilesCommand([env, secrets], release)).code).toBe(0);
    for (const file of [env, secrets]) expect(sh(receivePrivateFileCommand(file, []), text).code).toBe(0);
  };
  const listing = (): string[] => readdirSync(shared).sort();

  it('restore puts back each file as it was, and removes one there was none of', () => {
    writeFileSync(env, 'old env\n', { mode: 0o600 });
    replace('r1', 'new\n');
    expect(listing()).toEqual(['.env', '.env.r1.pmx-prev', '.secrets.env', '.secrets.env.r1.pmx-none']);
    expect(statSync(join(shared, '.env.r1.pmx-prev')).mode & 0o777).toBe(0o600);
    expect(sh(restoreFilesCommand([env, secrets], 'r1')).code).toBe(0);
    expect(listing()).toEqual(['.env']);
    expect(readFileSync(env, 'utf8')).toBe('old env\n');
    expect(statSync(env).mode & 0o777).toBe(0o600);
  });

  it("restore does nothing for a run that replaced nothing, even beside another run's copies; drop removes every copy", () => {
    replace('r2', 'r2 values\n');
    expect(sh(restoreFilesCommand([env, secrets], 'r3')).code).toBe(0);
    expect(readFileSync(env, 'utf8')).toBe('r2 values\n');
    replace('r3', 'r3 values\n'); // a new deploy's copies replace older ones
    expect(listing()).toEqual(['.env', '.env.r3.pmx-prev', '.secrets.env', '.secrets.env.r3.pmx-prev']);
    expect(readFileSync(join(shared, '.env.r3.pmx-prev'), 'utf8')).toBe('r2 values\n');
    expect(sh(dropKeptFilesCommand([env, secrets])).code).toBe(0);
    expect(listing()).toEqual(['.env', '.secrets.env']);
    expect(readFileSync(secrets, 'utf8')).toBe('r3 values\n');
  });
});

describe('masking', () => {
  const mask = new SecretMask(VALUES.map((v) => v.value)).apply;

  it('replaces each value and each line of a multi-line value, and nothing else', () => {
    expect(mask(`pw=${VALUES[0]!.value} key=line-two-xyz; line-one-abc.`)).toBe('pw=*** key=***; ***.');
    expect(mask('nothing secret here')).toBe('nothing secret here');
    expect(new SecretMask().apply('as is')).toBe('as is');
  });

  it("a run's mask learns values as it goes, however short", () => {
    const run = new SecretMask(['alpha-1']);
    run.learn(['2026', 'a']);
    expect(run.apply('alpha-1 and 2026 at /srv/app')).toBe('*** ***nd *** ***t /srv/***pp');
    expect(run.deep({ code: 0, stdout: 'S=2026', lines: ['alpha-1'] })).toEqual({ code: 0, stdout: 'S=***', lines: ['***'] });
  });

  it('reads back the values of a secrets file as pmx writes it, several files one after another', () => {
    const more = [{ name: 'PIN', value: '2026' }, { name: 'EMPTY_LOOKING', value: ' ' }];
    expect(secretsFileValues(secretsFileText(VALUES) + secretsFileText(more))).toEqual([...VALUES, ...more].map((v) => v.value));
  });

  it("the host's secrets file and the copies kept beside it reach the CLI's mask as hex: lines of the file cannot be taken for the probe's", () => {
    const shared = join(dir, 'held');
    mkdirSync(shared);
    const file = join(shared, '.secrets.env');
    expect(sh(`echo "secrets=${heldSecretsCommand(file)}"`).stdout).toBe('secrets=\n');
    writeFileSync(file, secretsFileText([VALUES[0]!]));
    writeFileSync(`${file}.r1.pmx-prev`, secretsFileText([VALUES[1]!]));
    const printed = sh(`echo "secrets=${heldSecretsCommand(file)}"`).stdout;
    expect(printed).toMatch(/^secrets=[0-9a-f]+\n$/);
    expect(heldSecretValues(printed.trim().slice('secrets='.length))).toEqual(VALUES.map((v) => v.value));
  });

  it('the host-side filter masks the values of the secrets file and of the copies kept beside it, and of the names it is given, as pmx does', () => {
    const shared = join(dir, 'filter');
    mkdirSync(shared);
    const file = join(shared, '.secrets.env');
    writeFileSync(file, secretsFileText([{ name: 'RENAMED', value: 'only-in-the-file' }]));
    writeFileSync(`${file}.r1.pmx-prev`, secretsFileText([{ name: 'OLD', value: 'only-in-a-copy' }]));
    const result = sh(maskFilterCommand(file, []), 'a only-in-the-file b only-in-a-copy c\n');
    expect(result.stdout).toBe('a *** b *** c\n');
  });

  it("printing the secrets file shows no part of a value with a ' in it (the file holds it as '\\''), through pmx's mask and the host's filter", () => {
    const weird = [{ name: 'WEIRD', value: `q'uo"te $(touch x) \`id\` \\back;semi` }, ...VALUES];
    const file = join(dir, 'weird.secrets.env');
    writeFileSync(file, secretsFileText(weird), { mode: 0o600 });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`'\\''`); // the value itself is not in the file as it is
    const shown = new SecretMask(weird.map((v) => v.value)).apply(text);
    expect(shown).toBe("WEIRD=***\nDB_PASSWORD=***\nAPI_KEY='***'\n");
    expect(sh(maskFilterCommand(file, []), text).stdout).toBe(shown);
    // a quote alone, or a line of the quoted form that is only quotes, masks nothing
    expect(new SecretMask(["'", "ab\n'"]).apply("it's 'x'")).toBe("it's 'x'");
  });

  it('an env_file in the forms apps read (a quoted value before a comment, NAME: value, a quoted value over several lines) is masked whole, by pmx and by the host filter', () => {
    const envFile = join(dir, 'forms.env');
    const text = 'QUOTED_COMMENT="QcVal-Hh2j" # the api key\nCOLON_STYLE: ColonVal-Rr5t\nPEM="-----BEGIN KEY-----\nPemLine2-Yy8u\n-----END KEY-----"\nESCAPED="a\\nEscLine-Zz1"\nHASH=HashVal#tail\n';
    writeFileSync(envFile, text, { mode: 0o600 });
    const printed = 'QcVal-Hh2j ColonVal-Rr5t\nPemLine2-Yy8u\nEscLine-Zz1 HashVal\n';
    const shown = new SecretMask(envFileValues(text)).apply(printed);
    expect(shown).toBe('*** ***\n***\n*** ***\n');
    expect(new SecretMask(envFileValues(text)).apply(text)).not.toMatch(/QcVal|ColonVal|PemLine2|EscLine|HashVal/);
    expect(sh(maskFilterCommand(join(dir, 'absent.env'), [], envFile), printed).stdout).toBe(shown);
  });

  it('the host-side filter masks as pmx does, reading values from its environment (only names on its command line)', () => {
    const input = `a ${VALUES[0]!.value} b\nline-one-abc\nline-two-xyz tail\npartial line-one-abc`;
    const command = maskFilterCommand(join(dir, 'absent.env'), VALUES.map((v) => v.name));
    for (const { value } of VALUES) expect(command).not.toContain(value.split('\n')[0]);
    const result = sh(command, input, Object.fromEntries(VALUES.map((v) => [v.name, v.value])));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(mask(input));
    expect(result.stdout).toBe('a *** b\n*** tail\npartial ***'); // the whole two-line value first, then each line alone
  });

  it('a hook that prints a secret shows *** in its output and its log, keeps its exit status, and has the values in its environment', () => {
    const file = join(dir, 'hook.secrets.env');
    writeFileSync(file, secretsFileText(VALUES), { mode: 0o600 });
    const log = join(dir, 'logs', 'hook.log');
    const secrets = { file, names: VALUES.map((v) => v.name) };
    const result = sh(hookCommand({ cwd: dir, command: 'printf "db is %s\\n" "$DB_PASSWORD"; printf "%s\\n" "$API_KEY" >&2; test "$DB_PASSWORD" = "$EXPECTED" && exit 4', env: { EXPECTED: VALUES[0]!.value }, log, header: '== post-deploy', secrets }));
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('db is ***\n***\n');
    expect(readFileSync(log, 'utf8')).toBe('== post-deploy\ndb is ***\n***\n');
  });
});
