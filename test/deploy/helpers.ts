// Deploy tests on real SSH hosts: a tiny HTTP app in a real git repository (a bare origin under
// the hosts' base dir, so hosts can `git clone file://...`), its PM2-format ecosystem file, runs
// of `pmx deploy` in this process with their events, and HTTP GETs of each host's app.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { DeployEvent, HostOutcome } from '../../cli/deploy/events.js';
import { runDeploy, type DeployRequest, type DeployResult } from '../../cli/deploy/run.js';
import type { HostsHandle, TestHost } from '../hosts/index.js';

/** The folders this test file made (bundles, app repositories): removed after its tests, pass or fail (each run left a megabyte and more in /tmp). */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Builds the pmx bundle from the current sources into a temporary file and points deploy at it (PMX_BUNDLE_FILE); the file goes with the test process. */
export function useFreshBundle(): void {
  const dir = mkdtempSync(join(tmpdir(), 'pmx-bundle-'));
  made.push(dir);
  const out = join(dir, 'pmx.cjs');
  execFileSync(process.execPath, [join(import.meta.dirname, '../../scripts/build-bundle.mjs'), '--out', out]);
  process.env.PMX_BUNDLE_FILE = out;
}

/** The port the app listens on, on every host (each host has its own address). */
export const APP_PORT = 8080;

/** The app: answers its VERSION, host name and directory; /health fails when /srv/unhealthy-<version> exists. */
const SERVER = `const http = require('http');
const fs = require('fs');
const os = require('os');
const version = fs.readFileSync(__dirname + '/VERSION', 'utf8').trim();
http.createServer((req, res) => {
  if (req.url === '/health') {
    const sick = fs.existsSync('/srv/unhealthy-' + version);
    res.statusCode = sick ? 500 : 200;
    return res.end(sick ? 'sick' : 'ok');
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ version, host: os.hostname(), dir: __dirname }));
}).listen(Number(process.env.PORT) || ${APP_PORT});
`;

/** Deploy settings of one environment, written into the ecosystem file as they are. */
export type EnvironmentSettings = Record<string, unknown>;

/** An app repository: a local clone whose pushes go to a bare origin the hosts can read. */
export interface AppRepo {
  /** The local clone (where `pmx deploy` runs). */
  dir: string;
  /** The bare origin, inside the hosts' base dir. */
  origin: string;
  file: string;
  /** Writes VERSION (and files), commits and pushes; returns the sha. */
  commit(version: string, files?: Record<string, string>): string;
}

/** PM2's deploy keys for the hosts, with settings merged over them. */
export function environment(env: HostsHandle, hosts: TestHost[], origin: string, settings: EnvironmentSettings = {}): EnvironmentSettings {
  return {
    user: 'deploy',
    host: hosts.map((host) => host.address),
    key: env.keyPath,
    ssh_options: [`UserKnownHostsFile=${env.knownHostsPath}`, 'ConnectTimeout=3'],
    ref: 'origin/main',
    repo: `file://${origin}`,
    path: '/srv/app',
    'post-deploy': 'pmx startOrReload ecosystem.config.js --env production',
    ...settings,
  };
}

/** Creates the repository with its first commit (v1) and an ecosystem file with these environments (and `app` merged into the app's settings). */
export function createAppRepo(env: HostsHandle, environments: (origin: string) => Record<string, EnvironmentSettings>, app: Record<string, unknown> = {}): AppRepo {
  const dir = mkdtempSync(join(tmpdir(), 'pmx-deploy-app-'));
  made.push(dir);
  const origin = join(env.baseDir, `app-${Math.random().toString(36).slice(2, 8)}.git`);
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=pmx test', '-c', 'user.email=test@pmx', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', `file://${origin}`);
  const file = join(dir, 'ecosystem.config.js');
  const ecosystem = {
    apps: [{ name: 'web', script: 'server.js', env_production: { NODE_ENV: 'production', PORT: APP_PORT }, ...app }],
    deploy: environments(origin),
  };
  writeFileSync(file, `module.exports = ${JSON.stringify(ecosystem, null, 2)};\n`);
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{ "name": "deploy-test-app", "private": true }\n');
  const commit = (version: string, files: Record<string, string> = {}): string => {
    writeFileSync(join(dir, 'VERSION'), `${version}\n`);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', version);
    git('push', '-q', '-u', 'origin', 'main');
    return git('rev-parse', 'HEAD');
  };
  commit('v1');
  return { dir, origin, file, commit };
}

/** A run's result with every event it emitted. */
export interface Recorded extends DeployResult {
  events: DeployEvent[];
  byHost: Record<string, HostOutcome>;
}

/** Runs `pmx deploy` in this process, recording its events. */
export async function deploy(request: Omit<DeployRequest, 'emit'> & { onEvent?: (event: DeployEvent) => void }): Promise<Recorded> {
  const events: DeployEvent[] = [];
  const result = await runDeploy({
    ...request,
    emit: (event) => {
      events.push(event);
      request.onEvent?.(event);
    },
  });
  return { ...result, events, byHost: Object.fromEntries(result.outcomes.map((outcome) => [outcome.host, outcome])) };
}

/** `setup` then a first `deploy` of `envName` to every host of `file`, each expected to succeed on all `hosts` hosts. */
export async function setUpAndDeploy(file: string, envName: string, hosts: number): Promise<void> {
  for (const command of ['setup', 'deploy'] as const) {
    const run = await deploy({ file, envName, command });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(Array(hosts).fill(command === 'setup' ? 'done' : 'deployed'));
  }
}

/** What the app on a host answers. */
export interface Served {
  version: string;
  host: string;
  dir: string;
}

/** GET / of the app on host. */
export function served(host: TestHost, path = '/'): Promise<Served> {
  return new Promise((resolve, reject) => {
    const req = request({ host: host.address, port: APP_PORT, path, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Served);
        } catch {
          reject(new Error(`${host.name}: not JSON: ${body}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${host.name}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}

/** What each host serves, polled until every host answers `version` (a reload may take a moment). */
export async function servingEverywhere(hosts: TestHost[], version: string, timeoutMs = 8000): Promise<Served[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await Promise.all(hosts.map((host) => served(host).catch((error: Error) => ({ version: `error: ${error.message}`, host: host.name, dir: '' }))));
    if (answers.every((answer) => answer.version === version) || Date.now() > deadline) return answers;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** Human-readable lines of a run, for assertion messages. */
export function transcript(recorded: Recorded): string {
  return recorded.events
    .map((event) => {
      switch (event.kind) {
        case 'output':
          return `${event.host ?? 'local'} ${event.phase} | ${event.line}`;
        case 'phase-failed':
          return `${event.host ?? 'local'} ${event.phase} FAILED ${event.message}`;
        case 'note':
          return `${event.host ?? 'local'} note ${event.message}`;
        case 'host-done':
          return `${event.outcome.host} => ${event.outcome.status} ${event.outcome.message ?? ''} ${event.outcome.notes.join('; ')}`;
        default:
          return null;
      }
    })
    .filter((line) => line !== null)
    .join('\n');
}

/** What `pmx deploy` printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `pmx deploy` command function in this process (plain output, no TTY) from `cwd`. */
export async function deployCli(args: string[], flags: import('../../cli/commands/deploy.js').DeployFlags, cwd: string): Promise<CliRun> {
  const { deploy: command } = await import('../../cli/commands/deploy.js');
  const { resolveHome } = await import('../../agent/protocol/home.js');
  let stdout = '';
  let stderr = '';
  const stream = (write: (text: string) => void): NodeJS.WriteStream => ({ isTTY: false, write: (chunk: string) => (write(String(chunk)), true) }) as unknown as NodeJS.WriteStream;
  const saved = { cwd: process.cwd(), exitCode: process.exitCode };
  process.chdir(cwd);
  process.exitCode = 0;
  try {
    await command({ home: resolveHome(), out: stream((text) => (stdout += text)), err: stream((text) => (stderr += text)), color: false }, args, flags, () => 'Usage: pmx deploy [options] [args...]\n');
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
  }
}
