#!/usr/bin/env node
// `npm run demo`: a rollout on 3 local SSH hosts. It starts the hosts (network namespaces with
// their own sshd; root on Linux, else Docker), makes an example app in a git repository, then runs
// `pmx deploy production setup`, deploys, shows what each host serves, deploys a second commit and
// reverts it. Everything it made is removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { httpText } from './http-text.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'pmx-demo-deploy-'));
const PORT = 3000;

// the SSH test-host harness is TypeScript: bundle it once for this script
async function loadHarness() {
  const outfile = join(work, 'hosts.mjs');
  await build({ entryPoints: [join(root, 'test/hosts/index.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['testcontainers'], logLevel: 'error' });
  return import(pathToFileURL(outfile).href);
}

const say = (text) => console.log(`\n\x1b[1m${text}\x1b[22m`);
const git = (cwd, ...args) => {
  const result = spawnSync('git', ['-c', 'user.name=pmx demo', '-c', 'user.email=demo@pmx', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
};

/** `pmx ...` as a user types it. */
function pmx(cwd, ...args) {
  console.log(`\n$ pmx ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(root, 'bin/pmx.cjs'), ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`pmx ${args.join(' ')} exited with ${result.status}`);
}

async function showServing(hosts, expected) {
  for (let attempt = 0; attempt < 40; attempt++) {
    const answers = await Promise.all(hosts.map((host) => httpText(host.address, PORT, 3000)));
    if (answers.every((answer) => answer.includes(expected)) || attempt === 39) {
      for (const [index, host] of hosts.entries()) console.log(`$ curl http://${host.address}:${PORT}/\n${answers[index]}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const { startHosts, stopHosts } = await loadHarness();
say('Starting 3 SSH hosts (each its own sshd, address, /srv and home)...');
const env = await startHosts({ count: 3, name: 'pmx-demo' });
try {
  const hosts = env.hosts;
  console.log(hosts.map((host) => `  ${host.name}  ${host.user}@${host.address}`).join('\n'));
  const app = join(work, 'app');
  const origin = join(env.baseDir, 'demo-app.git');
  spawnSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  spawnSync('git', ['init', '-q', '-b', 'main', app]);
  git(app, 'remote', 'add', 'origin', `file://${origin}`);
  writeFileSync(join(app, 'server.js'), `const v = require('fs').readFileSync(__dirname + '/VERSION', 'utf8').trim();
require('http').createServer((req, res) => res.end(\`hello from \${require('os').hostname()}: \${v}\\n\`)).listen(process.env.PORT);
`);
  writeFileSync(join(app, 'ecosystem.config.js'), `module.exports = {
  apps: [{ name: 'demo', script: 'server.js', env_production: { PORT: ${PORT} } }],
  deploy: {
    production: {
      user: 'deploy',
      host: ${JSON.stringify(hosts.map((host) => host.address))},
      key: ${JSON.stringify(env.keyPath)},
      ssh_options: ['UserKnownHostsFile=${env.knownHostsPath}'],
      ref: 'origin/main',
      repo: 'file://${origin}',
      path: '/srv/demo',
      'post-deploy': 'pmx startOrReload ecosystem.config.js --env production',
    },
  },
};
`);
  const commit = (version) => {
    writeFileSync(join(app, 'VERSION'), `${version}\n`);
    git(app, 'add', '-A');
    git(app, 'commit', '-q', '-m', version);
    git(app, 'push', '-q', '-u', 'origin', 'main');
  };
  commit('v1');
  say('An app in git with a PM2 ecosystem file; install pmx on the hosts:');
  await pmx(app, 'deploy', 'production', 'setup');
  say('Deploy v1 to every host:');
  await pmx(app, 'deploy', 'production');
  await showServing(hosts, 'v1');
  commit('v2');
  say('A second commit, deployed:');
  await pmx(app, 'deploy', 'production');
  await showServing(hosts, 'v2');
  say('Revert 1: current switches back to the v1 release (no fetch, no build):');
  await pmx(app, 'deploy', 'production', 'revert', '1');
  await showServing(hosts, 'v1');
  await pmx(app, 'deploy', 'production', 'list');
  say('The demo worked: 3 hosts set up, deployed, updated and reverted together.');
} finally {
  await stopHosts(env);
  rmSync(work, { recursive: true, force: true });
}
