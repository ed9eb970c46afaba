// deploy-wan: `deploy <env> setup`, `deploy <env>` (a new commit) and `deploy <env> revert 1` on 6
// SSH hosts that each sit behind a relay delaying every chunk 50 ms each way (a 100 ms round trip;
// this kernel has no netem: see lib/delay-relay.mjs), pmx and `pm2 deploy` in turns, command by
// command. Relay i listens on 127.0.0.i, all on one port, so that both tools reach the hosts as a
// user would write them (a host list and a port), and known_hosts has `[127.0.0.i]:<port>` with
// each host's key: hosts are still verified. post-deploy is `true` for both: the network is what is
// measured here (the reload is in `deploy`). pmx's SSH trace gives its login time and its
// sequential round trips per host. BENCH_WAN_RUNS (default 3) runs; BENCH_WAN_DELAY_MS one way.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './lib/cleanup.mjs';
import { startDelayRelay } from './lib/delay-relay.mjs';
import { createDeployApp, envName } from './lib/deploy-app.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { run, stats } from './lib/measure.mjs';
import { tempDir } from './lib/paths.mjs';
import { figure, spread } from './lib/report.mjs';
import { readTrace, roundTrips } from './lib/ssh-trace.mjs';
import { onHost, startSshHosts } from './lib/ssh-hosts.mjs';

export const about = '`deploy setup`, `deploy` and `deploy revert 1` on 6 SSH hosts behind relays adding 50 ms each way (post-deploy `true`), pmx and `pm2 deploy` in turns';

const COUNT = 6;
const RUNS = Number(process.env.BENCH_WAN_RUNS ?? 3);
const DELAY_MS = Number(process.env.BENCH_WAN_DELAY_MS ?? 50);
const STEPS = ['setup', 'first deploy', 'deploy', 'revert 1'];

/** Removes what setup and deploys made (no daemon runs: post-deploy is `true`). */
const RESET = 'rm -rf "$HOME/.pmx" "$HOME/.pm2" /srv/bench-pmx /srv/bench-pm2; true';

/** One relay per host, on 127.0.0.<n> and a port shared by all; a known_hosts file naming them. */
async function startRelays(fleet, dir) {
  const relays = [];
  for (const [i, host] of fleet.hosts.entries()) {
    const relay = await startDelayRelay({ listen: `127.0.0.${i + 1}`, port: relays[0]?.port ?? 0, target: host.address, targetPort: host.port, delayMs: DELAY_MS });
    onCleanup(() => relay.close());
    relays.push(relay);
  }
  const keyOf = new Map(readFileSync(fleet.knownHostsPath, 'utf8').trim().split('\n').map((line) => [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)]));
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, fleet.hosts.map((host, i) => `[${relays[i].address}]:${relays[i].port} ${keyOf.get(host.address)}\n`).join(''));
  return { addresses: relays.map((relay) => relay.address), port: relays[0].port, knownHostsPath };
}

/** BENCH_WAN_TIMELINE=1: what pmx did on the first host, ms from the first login request (label, round trips span, command's end), and the time before the login and after the last command. */
function printTimeline(name, trace, ms, spawnedAt) {
  const [[host, { login, commands }]] = [...readTrace(trace)];
  const zero = login.requested;
  const at = (t) => (t - zero).toFixed(0).padStart(5);
  const last = Math.max(...commands.map((op) => op.end));
  console.log(`  ${name} on ${host} (the command took ${ms.toFixed(0)} ms: ${(zero - spawnedAt).toFixed(0)} ms from its spawn to the first login, ${(spawnedAt + ms - last).toFixed(0)} ms from this host's last command to its exit; login ${at(login.requested)}-${at(login.ready)})`);
  for (const op of commands.sort((a, b) => a.requested - b.requested)) console.log(`    ${op.label.padEnd(16)} ${at(op.requested)} -> ${at(op.ready)} .. ${at(op.end)}`);
  // every host's second command: when it could go on after its check (the stage waits for the slowest host)
  const starts = [...readTrace(trace)].map(([name, { login: l, commands: c }]) => `${name} ${at(l.ready)}/${at(c.sort((x, y) => x.requested - y.requested)[1]?.requested ?? NaN)}`);
  console.log(`    login ready / second command, every host: ${starts.join(', ')}`);
}

export default async function deployWanBench() {
  const fleet = await startSshHosts({ count: COUNT, name: 'bench-wan' });
  const dir = tempDir('deploy-wan');
  const reach = await startRelays(fleet, dir);
  console.log(`  relays on ${reach.addresses.join(', ')} port ${reach.port}, ${DELAY_MS} ms each way`);
  return withManagers(async (managers) => {
    const app = createDeployApp(fleet, { tools: managers.map((m) => m.name), counts: [COUNT], reach, postDeploy: () => 'true' });
    const times = {};
    const traces = {};
    const add = (key, ms) => (times[key] ??= []).push(ms);
    // PM2's deploy script logs to /tmp/pm2-deploy-$USER.log: a name of this run's, removed at its end
    const pm2Log = { USER: `bench-wan-${process.pid}` };
    onCleanup(() => rmSync(`/tmp/pm2-deploy-${pm2Log.USER}.log`, { force: true }));
    const trace = join(dir, 'trace.jsonl');
    let spawnedAt = 0;
    const deploy = async (m, words) => {
      const [command, argv, { env }] = m.command(['deploy', 'ecosystem.config.js', ...words]);
      rmSync(trace, { force: true });
      spawnedAt = performance.timeOrigin + performance.now();
      const result = await run(command, argv, { env: m.name === 'pm2' ? { ...env, ...pm2Log } : { ...env, PMX_SSH_TRACE: trace }, cwd: app.dir });
      if (result.code !== 0) throw new Error(`${m.label} deploy ${words.join(' ')} exited with ${result.code}:\n${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n')}`);
      return result;
    };
    const expectCurrent = async (tool, version) => {
      const seen = await Promise.all(fleet.hosts.map((host) => onHost(host, `cat /srv/bench-${tool}/current/VERSION`)));
      const wrong = fleet.hosts.filter((_, i) => seen[i].trim() !== version);
      if (wrong.length > 0) throw new Error(`after ${tool}'s deploy, ${wrong.map((h) => h.name).join(' ')} do not have ${version} as current`);
    };
    for (let round = 1; round <= RUNS; round++) {
      const order = round % 2 ? [...managers].reverse() : managers;
      await Promise.all(fleet.hosts.map((host) => onHost(host, RESET)));
      const [older, newer] = [`r${round}-a`, `r${round}-b`];
      app.commit(older);
      const step = async (name, words, version) => {
        for (const m of order) {
          const { ms } = await deploy(m, [envName(m.name, COUNT), ...words]);
          if (version) await expectCurrent(m.name, version);
          add(`${m.name} ${name}`, ms);
          if (m.name === 'pmx') (traces[name] ??= []).push(...roundTrips(trace));
          if (m.name === 'pmx' && process.env.BENCH_WAN_TIMELINE) printTimeline(name, trace, ms, spawnedAt);
        }
      };
      await step('setup', ['setup'], null);
      await step('first deploy', [], older);
      app.commit(newer);
      await step('deploy', [], newer);
      await step('revert 1', ['revert', '1'], older);
      console.log(`  round ${round}/${RUNS}: ${STEPS.map((s) => `${s} ${managers.map((m) => `${m.name} ${(times[`${m.name} ${s}`].at(-1) / 1000).toFixed(2)} s`).join(' / ')}`).join('; ')}`);
    }
    await Promise.all(fleet.hosts.map((host) => onHost(host, RESET)));
    const s = Object.fromEntries(Object.entries(times).map(([key, list]) => [key, stats(list.map((ms) => ms / 1000))]));
    const median = (key) => s[key]?.median;
    const trips = (name, key) => stats(traces[name].map((t) => t[key])).median;
    printTable(
      `deploy-wan: ${COUNT} hosts, ${2 * DELAY_MS} ms round trip; ${RUNS} runs each; median (min-max), seconds; pmx's SSH per host (medians over hosts and runs)`,
      ['command', 'pmx', 'PM2', 'pmx/PM2', 'pmx login', 'pmx sequential round trips'],
      STEPS.map((name) => [
        name,
        spread(s[`pmx ${name}`], 's'),
        s[`pm2 ${name}`] ? spread(s[`pm2 ${name}`], 's') : 'n/a',
        s[`pm2 ${name}`] ? (median(`pmx ${name}`) / median(`pm2 ${name}`)).toFixed(2) : '',
        `${trips(name, 'loginMs').toFixed(0)} ms`,
        trips(name, 'sequential'),
      ]),
    );
    const figures = STEPS.filter((name) => name !== 'first deploy').map((name) => {
      const parts = [{ text: '<= 0.1 x PM2', met: median(`pmx ${name}`) / median(`pm2 ${name}`) <= 0.1, pm2: true }];
      if (name === 'deploy') parts.push({ text: '<= 2.5 s', met: median('pmx deploy') <= 2.5 });
      const judged = parts.filter((part) => s[`pm2 ${name}`] || !part.pm2);
      return figure({
        name: `${name}, ${COUNT} hosts, ${2 * DELAY_MS} ms round trip`,
        unit: 's',
        pmx: median(`pmx ${name}`),
        pm2: median(`pm2 ${name}`),
        target: judged.map((part) => part.text).join(', '),
        met: judged.length > 0 ? judged.every((part) => part.met) : null,
        note: `median of ${RUNS}`,
      });
    });
    for (const f of figures) if (f.target) console.log(`  ${f.name}: ${f.target}: ${f.pmx.toFixed(2)} s${f.ratio === null ? '' : `, ${f.ratio.toFixed(2)} x PM2`}, ${f.met ? 'met' : 'NOT met'}`);
    return { figures, data: { times: s, pmxSsh: traces } };
  });
}
