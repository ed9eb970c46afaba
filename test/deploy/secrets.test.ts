// Deploy secrets on 2 real SSH hosts: an env_file and two secrets (one printed by a hook on
// purpose, one only for the app), read on this machine once per deploy; the app answers hashes of
// what its environment and its release's .env hold; then every byte pmx wrote (its output, local
// files, the hosts' deploy path and home) is searched for each value, except the 0600 files meant
// to hold them. A failing secret command touches no host; an env_file change reaches the app.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, readHostFile, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, deploy, deployCli, environment, served, useFreshBundle, type AppRepo, type CliRun } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const started = Date.now();
const local = mkdtempSync(join(tmpdir(), 'pmx-secret-sources-'));
const unique = (what: string): string => `${what}-${createHash('sha256').update(`${Math.random()}${process.pid}`).digest('hex').slice(0, 20)}`;
const VALUES = { db: unique('db-password'), api: unique('api-key'), greeting1: unique('greeting-one'), greeting2: unique('greeting-two'), greeting3: unique('greeting-three'), rotated: unique('db-rotated') };
/** Values as short and common as pmx's own words: the year in every release name, `current`, one letter of `/srv/app`. */
const SHORT = { YEAR: String(new Date().getUTCFullYear()), WORD: 'current', LETTER: 'a' };
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Every run's output, searched at the end. */
const outputs: { what: string; run: CliRun }[] = [];

/** The app: answers hashes of API_KEY and DB_PASSWORD in its environment and of GREETING in its release's .env (read at start). */
const SERVER = `const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const sha = (text) => crypto.createHash('sha256').update(text || '').digest('hex');
const version = fs.readFileSync(__dirname + '/VERSION', 'utf8').trim();
const dotenv = {};
try {
  for (const line of fs.readFileSync(__dirname + '/.env', 'utf8').split('\\n')) {
    const at = line.indexOf('=');
    if (at > 0) dotenv[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
} catch {}
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ version, dir: __dirname, apiKey: sha(process.env.API_KEY), dbPassword: sha(process.env.DB_PASSWORD), greeting: sha(dotenv.GREETING) }));
}).listen(Number(process.env.PORT) || 8080);
`;

interface Answer {
  version: string;
  dir: string;
  apiKey: string;
  dbPassword: string;
  greeting: string;
}

/** Each host's answer once every host serves from `release` (or each from its own, given per host): a reload may take a moment. */
async function answersFrom(release: string | string[], timeoutMs = 8000): Promise<Answer[]> {
  const deadline = Date.now() + timeoutMs;
  const expected = hosts.map((_, index) => `/srv/app/releases/${typeof release === 'string' ? release : release[index]}`);
  for (;;) {
    const answers = (await Promise.all(hosts.map((host) => served(host).catch(() => null)))) as unknown as (Answer | null)[];
    if (answers.every((answer, index) => answer?.dir === expected[index]) || Date.now() > deadline) return answers as Answer[];
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const releasesOn = async (host: TestHost): Promise<string> => (await execOnHost(host, 'ls -1 /srv/app/releases; cat /srv/app/.pmx/revisions.log; ls -a /srv/app/.pmx')).stdout;
const secretRuns = (): number => readFileSync(join(local, 'api-runs'), 'utf8').split('\n').filter(Boolean).length;

async function cli(what: string, args: string[], flags: Parameters<typeof deployCli>[1] = {}): Promise<CliRun> {
  const run = await deployCli(args, flags, app.dir);
  outputs.push({ what, run });
  return run;
}

beforeAll(async () => {
  useFreshBundle();
  writeFileSync(join(local, 'db'), `${VALUES.db}\n`);
  writeFileSync(join(local, 'api'), VALUES.api);
  writeFileSync(join(local, 'api-runs'), '');
  for (const [name, value] of Object.entries(SHORT)) writeFileSync(join(local, name), value);
  env = await startHosts({ count: 2, name: 'deploy-secrets' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, {
      strategy: 'release',
      env_file: '.env.production',
      secrets: { DB_PASSWORD: `cat ${join(local, 'db')}`, API_KEY: `cat ${join(local, 'api')}; echo run >> ${join(local, 'api-runs')}` },
      'pre-deploy': 'test ! -e /srv/fail-pre-deploy || { echo "failing with $DB_PASSWORD"; exit 1; }',
      'post-deploy': 'echo "db is $DB_PASSWORD"; pmx startOrReload ecosystem.config.js --env production',
      // prints a value with no hook's filter on the host: only pmx's own mask stands in the way
      healthcheck: { command: 'grep -h DB_PASSWORD= /srv/app/shared/.secrets.env && test ! -e /srv/fail-health', retries: 0 },
    }),
    broken: environment(env, hosts, origin, { strategy: 'release', secrets: { DB_PASSWORD: `cat ${join(local, 'db')} >&2; exit 3` } }),
    // the same path after production's secrets were renamed in the file: DB_PASSWORD is DATABASE_PASSWORD now, API_KEY is gone
    renamed: environment(env, hosts, origin, {
      strategy: 'release',
      secrets: { DATABASE_PASSWORD: `cat ${join(local, 'db')}` },
      'post-deploy': 'echo "api is $API_KEY"; pmx startOrReload ecosystem.config.js --env production',
      healthcheck: { command: 'test ! -e /srv/fail-health', retries: 0 },
    }),
    // a path of its own (no app: nothing of production's changes)
    short: environment(env, hosts, origin, {
      strategy: 'release',
      path: '/srv/short',
      secrets: Object.fromEntries(Object.keys(SHORT).map((name) => [name, `cat ${join(local, name)}`])),
      'post-deploy': 'echo "<$YEAR|$WORD|$LETTER>"',
    }),
  }));
  app.commit('v1', { 'server.js': SERVER, '.gitignore': '.env.production\n' });
  writeFileSync(join(app.dir, '.env.production'), `NODE_ENV=production\nGREETING=${VALUES.greeting1}\n`);
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status)).toEqual(['done', 'done']);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
  rmSync(local, { recursive: true, force: true });
});

describe('pmx deploy with an env_file and secrets', () => {
  let first = '';

  it('reads each secret once per deploy; the app gets both in its environment and the env_file as its release .env; a hook printing one shows ***', async () => {
    const run = await cli('plain deploy', ['production']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(secretRuns()).toBe(1); // once for the deploy, not once per host
    expect(run.stdout).toContain('read 2 secrets on this machine (DB_PASSWORD, API_KEY)');
    for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] post-deploy | db is ***`);
    for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] health check | attempt 1/1: healthy: DB_PASSWORD=***`);
    first = (await execOnHost(hosts[0]!, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
    const answers = await answersFrom(first);
    expect(answers).toEqual(hosts.map(() => ({ version: 'v1', dir: `/srv/app/releases/${first}`, apiKey: sha(VALUES.api), dbPassword: sha(VALUES.db), greeting: sha(VALUES.greeting1) })));
    for (const host of hosts) {
      const files = await execOnHost(host, 'stat -c "%a %U %F" /srv/app/shared/.env /srv/app/shared/.secrets.env /home/deploy/.pmx; readlink /srv/app/current/.env');
      expect(files.stdout).toBe('600 deploy regular file\n600 deploy regular file\n700 deploy directory\n/srv/app/shared/.env\n');
      expect(await readHostFile(host, `/srv/app/.pmx/logs/${first}.log`)).toContain('\ndb is ***\n');
    }
  }, 60_000);

  it('--json deploys the same way; --plan names the secrets on the commands it shows and runs no secret command', async () => {
    const json = await cli('--json deploy', ['production'], { json: true });
    expect(json.code, json.stdout + json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { ok: boolean }).ok).toBe(true);
    expect(secretRuns()).toBe(2);
    const plan = await cli('--plan', ['production'], { plan: true });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(": carries DB_PASSWORD API_KEY on stdin && mkdir -p /srv/app/shared && rm -f /srv/app/shared/.secrets.env.pmx-new && ( umask 077 && cat > /srv/app/shared/.secrets.env.pmx-new )");
    expect(plan.stdout).toContain('cat > /srv/app/shared/.env.pmx-new');
    const planJson = await cli('--plan --json', ['production'], { plan: true, json: true });
    expect(planJson.code).toBe(0);
    expect(secretRuns()).toBe(2);
  }, 60_000);

  it('a failing secret command fails the deploy before any host is touched, naming the secret and its exit code only', async () => {
    const before = await Promise.all(hosts.map(releasesOn));
    const run = await cli('failing secret', ['broken']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('[PMX][ERROR] ecosystem.config.js: deploy.broken.secrets.DB_PASSWORD: its command failed (exit 3); no host was touched\n[PMX] run the command of deploy.broken.secrets.DB_PASSWORD yourself to see why (pmx does not show its output: it may hold the value)\n');
    expect(run.stdout).toBe('');
    const json = await cli('failing secret --json', ['broken'], { json: true });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'SECRET_FAILED' } });
    expect(await Promise.all(hosts.map(releasesOn))).toEqual(before); // no release dir, no ledger line, no lock file
  }, 30_000);

  it('an env_file change reaches the app on the next deploy', async () => {
    writeFileSync(join(app.dir, '.env.production'), `NODE_ENV=production\nGREETING=${VALUES.greeting2}\n`);
    const run = await cli('deploy after the env_file changed', ['production']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const release = (await execOnHost(hosts[0]!, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
    expect(release).not.toBe(first);
    expect((await answersFrom(release)).map((a) => a.greeting)).toEqual(hosts.map(() => sha(VALUES.greeting2)));
  }, 60_000);

  it('a deploy that fails before publish leaves the env_file and secrets on every host as they were', async () => {
    const before = await Promise.all(hosts.map((host) => readHostFile(host, '/srv/app/shared/.env')));
    expect(before).toEqual(hosts.map(() => `NODE_ENV=production\nGREETING=${VALUES.greeting2}\n`));
    writeFileSync(join(app.dir, '.env.production'), `NODE_ENV=production\nGREETING=${VALUES.greeting3}\n`);
    await execOnHost(hosts[1]!, 'touch /srv/fail-pre-deploy');
    try {
      const run = await cli('deploy failing in pre-deploy', ['production']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`[${hosts[1]!.address}] pre-deploy failed: ${hosts[1]!.address}: the pre-deploy hook \`test ! -e /srv/fail-pre-deploy || { echo "failing with $DB_PASSWORD"; exit 1; }\` failed (exit 1): failing with ***`);
      const ledger = (await readHostFile(hosts[1]!, '/srv/app/.pmx/revisions.log')).trim().split('\n').at(-1)!;
      expect(JSON.parse(ledger)).toMatchObject({ result: 'failed', message: expect.stringContaining('failed (exit 1): failing with ***') });
    } finally {
      await execOnHost(hosts[1]!, 'rm -f /srv/fail-pre-deploy');
    }
    for (const host of hosts) {
      expect(await readHostFile(host, '/srv/app/shared/.env')).toBe(before[0]);
      expect((await execOnHost(host, 'ls -A /srv/app/shared; stat -c "%a %U" /srv/app/shared/.env /srv/app/shared/.secrets.env')).stdout).toBe('.env\n.secrets.env\nlogs\npids\n600 deploy\n600 deploy\n');
    }
  }, 60_000);

  it('revert sends nothing: its post-deploy gets the values the last deploy sent, the newest env_file, and what hosts print is masked', async () => {
    const previous = (await execOnHost(hosts[0]!, 'ls -1 /srv/app/releases | tail -2 | head -1')).stdout.trim();
    const run = await cli('revert', ['production', 'revert']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('read 2 secrets on this machine (DB_PASSWORD, API_KEY) to mask them as *** in all output (the hosts keep the values the last deploy sent)');
    for (const host of hosts) {
      expect(run.stdout).toContain(`[${host.address}] post-deploy | db is ***`);
      expect(run.stdout).toContain(`[${host.address}] health check | attempt 1/1: healthy: DB_PASSWORD=***`);
    }
    expect(await answersFrom(previous)).toEqual(hosts.map(() => ({ version: 'v1', dir: `/srv/app/releases/${previous}`, apiKey: sha(VALUES.api), dbPassword: sha(VALUES.db), greeting: sha(VALUES.greeting2) })));
  }, 60_000);

  it('exec runs the secret commands to mask what the hosts print: a command that reads the secrets file shows ***, in --json too', async () => {
    const run = await cli('exec reading the secrets', ['production', 'exec', 'cat /srv/app/shared/.secrets.env']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] exec | DB_PASSWORD=***`);
    const json = await cli('exec reading the secrets --json', ['production', 'exec', 'cat /srv/app/shared/.secrets.env'], { json: true });
    expect(json.stdout).toContain('API_KEY=***');
  }, 60_000);

  it('a host rolled back after publish gets its env_file back before post-deploy runs again; the others keep the new one', async () => {
    const was = (await execOnHost(hosts[1]!, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
    await execOnHost(hosts[1]!, 'touch /srv/fail-health');
    try {
      const run = await cli('deploy rolled back on one host', ['production']); // the env_file holds greeting3 since the failed deploy
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/rolled back/);
    } finally {
      await execOnHost(hosts[1]!, 'rm -f /srv/fail-health');
    }
    const release = (await execOnHost(hosts[0]!, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
    expect(await readHostFile(hosts[0]!, '/srv/app/shared/.env')).toBe(`NODE_ENV=production\nGREETING=${VALUES.greeting3}\n`);
    expect(await readHostFile(hosts[1]!, '/srv/app/shared/.env')).toBe(`NODE_ENV=production\nGREETING=${VALUES.greeting2}\n`);
    expect((await execOnHost(hosts[1]!, 'ls -A /srv/app/shared')).stdout).toBe('.env\n.secrets.env\nlogs\npids\n');
    const [h1, h2] = await answersFrom([release, was]);
    expect([h1!.dir, h1!.greeting]).toEqual([`/srv/app/releases/${release}`, sha(VALUES.greeting3)]);
    expect([h2!.dir, h2!.greeting, h2!.apiKey]).toEqual([`/srv/app/releases/${was}`, sha(VALUES.greeting2), sha(VALUES.api)]);
  }, 60_000);

  it('exec after a secret was rotated on this machine, not yet deployed: the value the hosts still hold shows *** (plain and --json)', async () => {
    writeFileSync(join(local, 'db'), `${VALUES.rotated}\n`);
    try {
      const run = await cli('exec after a rotation', ['production', 'exec', 'cat /srv/app/shared/.secrets.env']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] exec | DB_PASSWORD=***`);
      const json = await cli('exec after a rotation --json', ['production', 'exec', 'cat /srv/app/shared/.secrets.env'], { json: true });
      expect(json.stdout).toContain('DB_PASSWORD=***');
      for (const host of hosts) expect(await readHostFile(host, '/srv/app/shared/.secrets.env')).toContain(VALUES.db); // what the hosts hold was the old value
    } finally {
      writeFileSync(join(local, 'db'), `${VALUES.db}\n`);
    }
  }, 60_000);

  it('a secret renamed in the file, then a deploy rolled back: the secrets file put back (with the old names) is masked in the rollback\'s post-deploy, on this machine and in the host\'s hook log', async () => {
    await execOnHost(hosts[1]!, 'touch /srv/fail-health');
    let release = '';
    try {
      const run = await cli('deploy of renamed secrets rolled back on one host', ['renamed']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`[${hosts[1]!.address}] rollback | api is ***`);
      release = (await execOnHost(hosts[0]!, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
    } finally {
      await execOnHost(hosts[1]!, 'rm -f /srv/fail-health');
    }
    expect(await readHostFile(hosts[1]!, '/srv/app/shared/.secrets.env')).toContain(`API_KEY=${VALUES.api}`); // put back as it was
    const log = await readHostFile(hosts[1]!, `/srv/app/.pmx/logs/${release}.log`);
    expect(log).toContain('\napi is ***\n');
    expect(log).not.toContain(VALUES.api);
  }, 60_000);

  it('a secret as short as the year in release names, `current` or one letter still shows *** and misreads nothing: deploys stand, revert goes back', async () => {
    const setup = await deploy({ file: app.file, envName: 'short', command: 'setup' });
    expect(setup.outcomes.map((o) => o.status)).toEqual(['done', 'done']);
    const currentOn = async (host: TestHost): Promise<string> => (await execOnHost(host, 'readlink /srv/short/current')).stdout.trim().replace('releases/', '');
    const lastLedgerLine = async (host: TestHost): Promise<{ release: string; result: string; action: string }> => JSON.parse((await readHostFile(host, '/srv/short/.pmx/revisions.log')).trim().split('\n').at(-1)!);
    const releases: string[] = [];
    for (const json of [false, true]) {
      const run = await cli(`deploy with short secrets${json ? ' --json' : ''}`, ['short'], { json });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      if (json) expect((JSON.parse(run.stdout) as { ok: boolean }).ok).toBe(true);
      else for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] post-deploy | <***|***|***>`);
      const release = await currentOn(hosts[0]!);
      releases.push(release);
      for (const host of hosts) {
        expect(await currentOn(host)).toBe(release);
        expect(await lastLedgerLine(host)).toMatchObject({ release, result: 'success' });
      }
    }
    expect(releases[1]).not.toBe(releases[0]);
    const revert = await cli('revert with short secrets', ['short', 'revert']);
    expect(revert.code, revert.stdout + revert.stderr).toBe(0);
    for (const host of hosts) {
      expect(await currentOn(host)).toBe(releases[0]);
      expect(await lastLedgerLine(host)).toMatchObject({ action: 'revert', release: releases[0], result: 'success' });
    }
  }, 90_000);

  it('no secret value in any byte pmx wrote: its output, local files, the deploy path and home on the hosts (but the 0600 files meant to hold them)', async () => {
    const values = Object.values(VALUES);
    for (const { what, run } of outputs) for (const value of values) expect(`${run.stdout}\n${run.stderr}`, `${what} shows a secret`).not.toContain(value);
    // this machine: every file changed since the test began, but the secrets' own sources
    const sources = [local, join(app.dir, '.env.production')];
    expect(filesHolding(local, values, 0).length).toBeGreaterThan(0); // the search finds what is there
    expect([...filesHolding(tmpdir(), values, started, sources), ...filesHolding(homedir(), values, started, sources)]).toEqual([]);
    const patterns = `${values.join('\n')}\n`;
    const meant = ['/srv/app/shared/.env', '/srv/app/shared/.secrets.env'];
    for (const host of hosts) {
      const search = `pats=$(cat); find /srv/app /home/deploy \\( -path /home/deploy/.pmx -o -path ${meant.join(' -o -path ')} \\) -prune -o -type f -print | while IFS= read -r f; do if printf '%s\\n' "$pats" | grep -qaF -f - "$f"; then echo "$f"; fi; done; echo scanned $(find /srv/app /home/deploy -type f | wc -l)`;
      const found = await execOnHost(host, search, { input: patterns });
      expect(found.stdout, `${host.name}: files holding a secret`).toMatch(/^scanned \d{2,}\n$/);
      const held = await execOnHost(host, `pats=$(cat); printf '%s\\n' "$pats" | grep -laF -f - ${meant.join(' ')}`, { input: patterns });
      expect(held.stdout).toBe(`${meant.join('\n')}\n`); // the same search finds them where they are meant to be
    }
  }, 60_000);
});

/** Files under `dir` (not under `skip`) changed since `since` that hold one of `values`. */
function filesHolding(dir: string, values: string[], since: number, skip: string[] = [], depth = 5): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    if (skip.includes(path) || path === env.baseDir) continue;
    let stat;
    try {
      stat = statSync(path, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (!stat) continue;
    if (stat.isDirectory() && depth > 0) found.push(...filesHolding(path, values, since, skip, depth - 1));
    else if (stat.isFile() && stat.mtimeMs >= since && stat.size < 20 * 1024 * 1024) {
      try {
        const text = readFileSync(path, 'latin1');
        if (values.some((value) => text.includes(value))) found.push(path);
      } catch {
        // gone or unreadable meanwhile: not pmx's
      }
    }
  }
  return found;
}
