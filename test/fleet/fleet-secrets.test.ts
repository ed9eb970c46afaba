// Fleet commands on 2 real SSH hosts deployed with an env_file and secrets, whose app prints both
// in its log and holds them in its environment: what `pmx logs|describe|jlist|ls|restart --deploy`
// shows of the hosts goes out with every value the hosts hold masked as `***` (no secret command
// runs on this machine for it: the hosts' own shared/.secrets.env and shared/.env are the source).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, readHostFile, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, setUpAndDeploy, environment, useFreshBundle, type AppRepo } from '../deploy/helpers.js';
import { PmxSandbox } from '../helpers/pmx.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
let pmx: PmxSandbox;
const local = mkdtempSync(join(tmpdir(), 'pmx-fleet-secret-sources-'));
const unique = (what: string): string => `${what}-${createHash('sha256').update(`${Math.random()}${process.pid}`).digest('hex').slice(0, 20)}`;
const VALUES = { api: unique('api-key'), greeting: unique('greeting') };

/** The app: prints its API_KEY and its release .env's GREETING at start and on every request, and serves. */
const SERVER = `const http = require('http');
const fs = require('fs');
const dotenv = fs.readFileSync(__dirname + '/.env', 'utf8');
const greeting = (/GREETING=(.*)/.exec(dotenv) || [])[1];
console.log('api key is ' + process.env.API_KEY + ', greeting is ' + greeting);
console.error('stderr: ' + process.env.API_KEY);
http.createServer((req, res) => { console.log('request with ' + process.env.API_KEY); res.end('ok'); }).listen(Number(process.env.PORT) || 8080);
`;

beforeAll(async () => {
  useFreshBundle();
  pmx = new PmxSandbox('pmx-fleet-secrets-');
  writeFileSync(join(local, 'api'), VALUES.api);
  env = await startHosts({ count: 2, name: 'fleet-secrets' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, { strategy: 'release', env_file: '.env.production', secrets: { API_KEY: `cat ${join(local, 'api')}` } }),
    // the same path and app, with a post-deploy that prints the release's .env; only the env_file, no secret
    printing: environment(env, hosts, origin, { strategy: 'release', env_file: '.env.production', 'post-deploy': 'cat .env; pmx startOrReload ecosystem.config.js --env production' }),
  }));
  app.commit('v1', { 'server.js': SERVER, '.gitignore': '.env.production\n' });
  writeFileSync(join(app.dir, '.env.production'), `GREETING=${VALUES.greeting}\n`);
  await setUpAndDeploy(app.file, 'production', 2);
}, 120_000);
afterAll(async () => {
  try {
    if (env) await stopHosts(env);
  } finally {
    await pmx?.cleanup();
    rmSync(local, { recursive: true, force: true });
  }
});

/** `pmx <args> --deploy production`, run from the app's directory (its ecosystem file). */
const fleet = (...args: string[]) => pmx.run([...args, '--deploy', 'production'], { cwd: app.dir, timeoutMs: 60_000 });
const shown = (run: { stdout: string; stderr: string }): string => `${run.stdout}\n${run.stderr}`;

describe('fleet commands mask the secret values the hosts hold', () => {
  it('logs --nostream (plain and --json): the app printing its secret and its env_file value shows ***', async () => {
    for (const args of [['logs', '--nostream'], ['logs', '--nostream', '--json']]) {
      const run = await fleet(...args);
      expect(run.code, shown(run)).toBe(0);
      for (const host of hosts) expect(run.stdout).toContain(args.includes('--json') ? `api key is ***, greeting is ***` : `${host.address} | `);
      expect(run.stdout).toContain('api key is ***, greeting is ***');
      for (const value of Object.values(VALUES)) expect(shown(run), `${args.join(' ')} shows a secret`).not.toContain(value);
    }
  }, 60_000);

  it('describe, jlist, prettylist, ls and restart show no value the app holds in its environment', async () => {
    for (const args of [['describe', 'web'], ['jlist'], ['prettylist'], ['ls'], ['restart', 'web']]) {
      const run = await fleet(...args);
      expect(run.code, shown(run)).toBe(0);
      for (const value of Object.values(VALUES)) expect(shown(run), `${args.join(' ')} shows a secret`).not.toContain(value);
      if (args[0] === 'jlist') {
        // still PM2's shape, each process with its host: only the value is masked
        const procs = JSON.parse(run.stdout) as { host: string; pm2_env: { API_KEY: string; env: { API_KEY: string } } }[];
        expect(procs.map((proc) => [proc.host, proc.pm2_env.API_KEY, proc.pm2_env.env.API_KEY])).toEqual(hosts.map((host) => [host.address, '***', '***']));
      }
    }
  }, 90_000);

  it('pmx deploy exec: a command reading the release .env (the env_file) shows ***', async () => {
    const { deployCli } = await import('../deploy/helpers.js');
    const run = await deployCli(['production', 'exec', 'cat .env'], {}, app.dir);
    expect(run.code, shown(run)).toBe(0);
    for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] exec | GREETING=***`);
    expect(shown(run)).not.toContain(VALUES.greeting);
  }, 60_000);

  it("a hook printing the release's .env shows *** in pmx's output and in the host's hook log, with no `secrets` in the environment", async () => {
    const { deployCli } = await import('../deploy/helpers.js');
    const run = await deployCli(['printing'], {}, app.dir);
    expect(run.code, shown(run)).toBe(0);
    for (const host of hosts) expect(run.stdout).toContain(`[${host.address}] post-deploy | GREETING=***`);
    expect(shown(run)).not.toContain(VALUES.greeting);
    for (const host of hosts) {
      const release = (await execOnHost(host, 'readlink /srv/app/current')).stdout.trim().replace('releases/', '');
      const log = await readHostFile(host, `/srv/app/.pmx/logs/${release}.log`);
      expect(log).toContain('\nGREETING=***\n');
      expect(log).not.toContain(VALUES.greeting);
    }
  }, 60_000);

  it("names a host whose secrets file its user may not read: its values could not be added to the mask, and the command says so instead of showing them as if masked", async () => {
    const [h1] = hosts;
    await execOnHost(h1!, 'chmod 000 /srv/app/shared/.secrets.env');
    try {
      const run = await fleet('jlist');
      expect(run.code, shown(run)).toBe(0);
      expect(run.stderr).toContain(`[PMX][WARN] ${h1!.address}: cannot read /srv/app/shared/.secrets.env (permission denied for deploy): the values it holds there are not masked in what this command shows of it`);
      // the other host's copy still masks the same value everywhere
      expect(shown(run)).not.toContain(VALUES.api);
    } finally {
      await execOnHost(h1!, 'chmod 600 /srv/app/shared/.secrets.env');
    }
  }, 60_000);
});
