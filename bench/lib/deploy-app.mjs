// The app the deploy benchmark ships: a tiny HTTP server in a local git repository whose bare
// origin lies in the hosts' base dir (visible inside every host, so `git clone file://...` works
// there, for PM2 and for pmx's git strategy), and one ecosystem file with a deploy environment
// per tool and host count. The two tools deploy to their own path and their app listens on its
// own port, so both can run side by side on the same hosts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './measure.mjs';
import { tempDir } from './paths.mjs';
import { httpText } from '../../scripts/http-text.mjs';

/** Port of each tool's app on every host (env_pmx / env_pm2 of the app). */
export const APP_PORTS = { pmx: 8080, pm2: 8081 };

const SERVER = `const version = require('fs').readFileSync(__dirname + '/VERSION', 'utf8').trim();
require('http').createServer((req, res) => res.end(version + '\\n')).listen(Number(process.env.PORT));
`;

/** The environment deploying with `tool` ('pmx' or 'pm2') to the first `count` hosts. */
export const envName = (tool, count) => `${tool}-${count}`;

/** What a tool's post-deploy runs by default: a reload of the app with that tool. */
const startOrReload = (tool) => `${tool} startOrReload ecosystem.config.js --env ${tool}`;

/** PM2's deploy keys, as a PM2 user writes them for these hosts (key, known_hosts through ssh_options). */
function environment(tool, addresses, { keyPath, knownHostsPath, port, postDeploy, connectTimeout }, origin) {
  return {
    user: 'deploy',
    host: addresses,
    // a string: PM2's deploy script reads only quoted values out of the JSON it is given
    ...(port ? { port: String(port) } : {}),
    key: keyPath,
    ssh_options: [`UserKnownHostsFile=${knownHostsPath}`, 'StrictHostKeyChecking=yes', `ConnectTimeout=${connectTimeout}`],
    ref: 'origin/main',
    repo: `file://${origin}`,
    path: `/srv/bench-${tool}`,
    'post-deploy': postDeploy(tool),
  };
}

/**
 * Creates the repository (first commit v1) with environments `<tool>-<count>` for every tool and
 * count. Returns { dir, commit(version) }: commit writes VERSION, commits and pushes. The hosts
 * are reached at their own address unless `reach` says otherwise ({ addresses, port,
 * knownHostsPath }: a relay in front of each); `postDeploy(tool)` is the post-deploy command;
 * `connectTimeout` ssh's ConnectTimeout in seconds.
 */
export function createDeployApp(hostsHandle, { tools, counts, reach = {}, postDeploy = startOrReload, connectTimeout = 5 }) {
  const addresses = reach.addresses ?? hostsHandle.hosts.map((host) => host.address);
  const keys = { keyPath: hostsHandle.keyPath, knownHostsPath: reach.knownHostsPath ?? hostsHandle.knownHostsPath, port: reach.port, postDeploy, connectTimeout };
  const dir = tempDir('deploy-app');
  const origin = join(hostsHandle.baseDir, 'bench-app.git');
  const git = (...args) => execFileSync('git', ['-c', 'user.name=pmx bench', '-c', 'user.email=bench@pmx', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', `file://${origin}`);
  const deploy = {};
  for (const count of counts) {
    for (const tool of tools) deploy[envName(tool, count)] = environment(tool, addresses.slice(0, count), keys, origin);
  }
  const apps = [{ name: 'web', script: 'server.js', ...Object.fromEntries(tools.map((tool) => [`env_${tool}`, { PORT: APP_PORTS[tool] }])) }];
  writeFileSync(join(dir, 'ecosystem.config.js'), `module.exports = ${JSON.stringify({ apps, deploy }, null, 2)};\n`);
  writeFileSync(join(dir, 'server.js'), SERVER);
  writeFileSync(join(dir, 'package.json'), '{ "name": "bench-deploy-app", "private": true }\n');
  const commit = (version) => {
    writeFileSync(join(dir, 'VERSION'), `${version}\n`);
    git('add', '-A');
    git('commit', '-q', '-m', version);
    git('push', '-q', '-u', 'origin', 'main');
    return git('rev-parse', 'HEAD');
  };
  commit('v1');
  return { dir, commit };
}

/** Resolves once `tool`'s app answers `version` on every host; throws with what they answer after 10 s. */
export async function waitServing(hosts, tool, version) {
  const answers = await waitFor(
    async () => {
      const now = await Promise.all(hosts.map((host) => httpText(host.address, APP_PORTS[tool], 2000)));
      return now.every((answer) => answer === version) ? now : null;
    },
    { timeoutMs: 10_000, everyMs: 100, what: `${tool}'s app to serve ${version} on ${hosts.map((host) => host.name).join(' ')}` },
  );
  return answers;
}
