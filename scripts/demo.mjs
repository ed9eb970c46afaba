#!/usr/bin/env node
// `npm run demo`: a local tour of pmx on a built-in example, in a throw-away PMX_HOME.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const home = mkdtempSync(join(tmpdir(), 'pmx-demo-'));
const env = { ...process.env, PMX_HOME: join(home, 'pmx') };
const eco = join(root, 'examples/demo/ecosystem.config.js');

function pmx(...args) {
  console.log(`\n$ pmx ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(root, 'bin/pmx.cjs'), ...args], { env, stdio: 'inherit', cwd: join(root, 'examples/demo') });
  if (result.status !== 0) throw new Error(`pmx ${args.join(' ')} failed with ${result.status}`);
}

function getOnce(port) {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body.trim()));
    }).on('error', reject).end();
  });
}

/** The app's answer: a fork-mode app is online once started, and listens a moment later, so ask until it answers (5 s at most). */
async function get(port) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await getOnce(port);
    } catch (error) {
      if (error.code !== 'ECONNREFUSED' || Date.now() > deadline) throw new Error(`the demo app does not answer on 127.0.0.1:${port} (${error.message}): see pmx logs web`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

try {
  pmx('start', eco, '--env', 'production');
  console.log(`\n$ curl http://127.0.0.1:3400/\n${await get(3400)}`);
  pmx('restart', 'web');
  console.log(`\n$ curl http://127.0.0.1:3400/\n${await get(3400)}`);
  pmx('save');
  pmx('kill');
  pmx('resurrect');
  pmx('describe', 'web');
  console.log('\nThe demo worked: the agent kept the apps running, restarted, saved, killed and resurrected them.');
} finally {
  spawnSync(process.execPath, [join(root, 'bin/pmx.cjs'), 'kill'], { env, stdio: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}
