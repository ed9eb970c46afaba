// health-probes: what health checks and hang detection cost and how fast they act. 50 Node HTTP
// apps, first without probes, then each probed over HTTP every second: the agent's CPU seconds
// over the same window (from /proc), as a percentage of one core, and the difference. Then the
// time from an app that stops answering (SIGUSR2: its handlers hang) to its restarted copy
// online, and from an app whose event loop blocks (SIGUSR1: `for (;;)`) to the agent's `hung`
// event and to its copy online. Last, the notify socket's cost: 50 apps with `watchdog` sending
// WATCHDOG=1 every second, against the same 50 apps without. pmx only: PM2 has none of these. The CPU windows alternate (none, probed)
// for BENCH_PROBE_ROUNDS pairs (default 3; medians), and say what the apps themselves spent; the
// probed apps' RSS is read beside that of plain `node` copies of the same app, started with them
// and sent a GET as often by the bench, for the per-app memory over plain node.
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile } from './lib/ecosystem.mjs';
import { onCleanup } from './lib/cleanup.mjs';
import { mb, printTable } from './lib/format.mjs';
import { cpuSeconds, epochMs, msSince, rssBytes, settledRss, stats, waitFor } from './lib/measure.mjs';
import { freePort, waitForPort } from './lib/net.mjs';
import { app } from './lib/paths.mjs';
import { pmx } from './lib/pmx.mjs';
import { figure, spread } from './lib/report.mjs';

export const about = 'agent CPU with 50 apps probed over HTTP every second, or sending WATCHDOG=1 every second, against none; time from an app that stops answering, or hangs, to its restart';
const APPS = 50;
const SETTLE_MS = 5000;
const WINDOW_MS = 20_000;
// start_period: fifty Node apps booting at once on a shared machine may take seconds to listen
const HEALTH = { interval: 1000, timeout: 500, failures: 3, start_period: '15s' };
const HANG_TIMEOUT_MS = 2000;
/** Stop-answering and hang rounds, each on an app of its own. */
const ROUNDS = 3;
/** Pairs of CPU windows (none, probed). */
const CPU_ROUNDS = Number(process.env.BENCH_PROBE_ROUNDS ?? 3);
const TARGET_CPU = 0.5;
/** The pinging apps' watchdog: generous, so that a loaded machine does not restart them mid-window. */
const WATCHDOG = '10s';
/** Plain `node` copies of the app, for the memory floor. */
const PLAIN_COPIES = 5;
const TARGET_MEMORY_MB = 1;

function appsOn(ports, extra) {
  return ports.map((port, i) => ({ name: `web${i}`, script: app('http-health.cjs'), env: { PORT: String(port) }, kill_timeout: 500, ...extra(port) }));
}

function pingers(watchdog) {
  return Array.from({ length: APPS }, (_, i) => ({ name: `ping${i}`, script: app('notify-ping.cjs'), notify: true, listen_timeout: 60_000, ...(watchdog ? { watchdog } : {}) }));
}

/** Starts the apps, lets them settle (listening on `ports`, or all online), and returns the agent's CPU % over the window. */
/** CPU seconds of each pid, 0 for one that is gone. */
const cpuOf = (pids) => pids.map((pid) => {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
});

/** Starts the apps, lets them settle, and returns the agent's CPU % over the window, the apps' (each, median) and their pids. */
async function agentCpu(m, dir, name, apps, ports) {
  await m.cli(['start', ecosystemFile(dir, name, apps)]);
  for (const port of ports) await waitForPort(port, 60_000);
  if (ports.length === 0) await waitFor(async () => (await m.jlist()).every((p) => p.pm2_env.status === 'online'), { timeoutMs: 120_000, everyMs: 500, what: `${name}: every app online` });
  await sleep(SETTLE_MS);
  const agent = m.daemonPid();
  const pids = (await m.jlist()).map((p) => p.pid);
  const before = cpuSeconds(agent);
  const appsBefore = cpuOf(pids);
  const started = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  const seconds = cpuSeconds(agent) - before;
  const window = msSince(started) / 1000;
  const appsAfter = cpuOf(pids);
  const perApp = stats(appsAfter.map((after, i) => ((after - appsBefore[i]) / window) * 100)).median;
  return { percent: (seconds / window) * 100, seconds, perApp, pids };
}

/** Plain `node` copies of the app on their own ports, each sent a GET every interval over a kept connection (as pmx's probe does). */
async function plainCopies() {
  const ports = await Promise.all(Array.from({ length: PLAIN_COPIES }, () => freePort()));
  const children = ports.map((port) => spawn(process.execPath, [app('http-health.cjs')], { stdio: 'ignore', env: { ...process.env, PORT: String(port) } }));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probe = setInterval(() => {
    for (const port of ports) get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => res.resume()).on('error', () => {});
  }, HEALTH.interval);
  const stop = onCleanup(() => {
    clearInterval(probe);
    agent.destroy();
    children.forEach((child) => child.kill('SIGKILL'));
  });
  for (const port of ports) await waitForPort(port, 60_000);
  return { pids: children.map((child) => child.pid), stop };
}

/** Median RSS over `pids`, each settled over a few readings. */
async function medianRss(pids) {
  return stats(await Promise.all(pids.map((pid) => settledRss(() => rssBytes(pid))))).median;
}

/** Signals the app `name` and resolves with the ms until a new child of it is online, and its jlist entry. */
async function untilRestarted(m, name, signal) {
  const before = (await m.jlist()).find((p) => p.name === name);
  const sent = epochMs();
  process.kill(before.pid, signal);
  let after;
  await waitFor(async () => {
    after = (await m.jlist()).find((p) => p.name === name);
    return after.pid > 0 && after.pid !== before.pid && after.pm2_env.status === 'online';
  }, { timeoutMs: 20_000, everyMs: 50, what: `${name} restarted after ${signal}` });
  return { ms: epochMs() - sent, sent, entry: after };
}

export default async function healthProbes({ dir }) {
  const m = pmx();
  try {
    const ports = await Promise.all(Array.from({ length: APPS }, () => freePort()));
    const none = [];
    const probed = [];
    let probedPids = [];
    let plain;
    for (let round = 0; round < CPU_ROUNDS; round++) {
      none.push(await agentCpu(m, dir, 'plain', appsOn(ports, () => ({})), ports));
      await m.cli(['delete', 'all']);
      const last = round === CPU_ROUNDS - 1;
      // the plain copies start with the last probed apps: the same age and as many requests when read
      if (last) plain = await plainCopies();
      probed.push(await agentCpu(m, dir, 'probed', appsOn(ports, (port) => ({ health: { http: `http://127.0.0.1:${port}/health`, ...HEALTH }, hang_timeout: HANG_TIMEOUT_MS })), ports));
      probedPids = probed.at(-1).pids;
      if (!last) await m.cli(['delete', 'all']);
    }
    const healthy = (await m.jlist()).filter((p) => p.pm2_env.health?.status === 'healthy').length;
    const [managedRss, plainRss] = [await medianRss(probedPids), await medianRss(plain.pids)];
    plain.stop();
    // the rounds below measure counted failures: the apps are past their start_period by now
    // (settling and the CPU window took longer than it)

    const unanswered = [];
    const hung = [];
    const detected = [];
    for (let i = 0; i < ROUNDS; i++) {
      unanswered.push((await untilRestarted(m, `web${i}`, 'SIGUSR2')).ms);
      const blocked = await untilRestarted(m, `web${ROUNDS + i}`, 'SIGUSR1');
      hung.push(blocked.ms);
      const event = blocked.entry.pm2_env.pmx_events?.find((e) => e.event === 'hung');
      if (event) detected.push(event.at - blocked.sent);
    }
    await m.cli(['delete', 'all']);

    // the notify socket: the same pinging apps, READY=1 awaited by both; the watchdog makes the agent read every ping
    const silent = await agentCpu(m, dir, 'silent', pingers(null).map((p) => ({ ...p, script: app('idle.cjs'), notify: false })), []);
    await m.cli(['delete', 'all']);
    const pinged = await agentCpu(m, dir, 'pinged', pingers(WATCHDOG), []);
    const restartedPingers = (await m.jlist()).reduce((sum, p) => sum + p.pm2_env.restart_time, 0);
    await m.cli(['delete', 'all']);

    const costs = probed.map((p, i) => p.percent - none[i].percent);
    const cost = stats(costs).median;
    const [withProbes, without] = [stats(probed.map((p) => p.percent)).median, stats(none.map((p) => p.percent)).median];
    const [appWith, appWithout] = [stats(probed.map((p) => p.perApp)).median, stats(none.map((p) => p.perApp)).median];
    const notifyCost = pinged.percent - silent.percent;
    const overMb = (managedRss - plainRss) / 2 ** 20;
    const restartBound = HEALTH.interval * HEALTH.failures + 1000;
    const [u, h, d] = [stats(unanswered), stats(hung), stats(detected)];
    printTable(`health-probes: ${APPS} Node HTTP apps, agent CPU over ${WINDOW_MS / 1000} s, ${CPU_ROUNDS} rounds`, ['apps', 'agent CPU seconds', 'agent % of one core', 'each app, % of one core (median)'], [
      ...none.flatMap((n, i) => [
        [`round ${i + 1}: no probes`, n.seconds.toFixed(2), `${n.percent.toFixed(2)} %`, `${n.perApp.toFixed(3)} %`],
        [`round ${i + 1}: http probe every ${HEALTH.interval / 1000} s`, probed[i].seconds.toFixed(2), `${probed[i].percent.toFixed(2)} %`, `${probed[i].perApp.toFixed(3)} %`],
      ]),
      [`median: the probes cost (${healthy} healthy at the end)`, '', `+${cost.toFixed(2)} %`, `+${(appWith - appWithout).toFixed(3)} %`],
      ['idle apps, no notify socket', silent.seconds.toFixed(2), `${silent.percent.toFixed(2)} %`, ''],
      [`WATCHDOG=1 every second, watchdog ${WATCHDOG} (${restartedPingers} restarts)`, pinged.seconds.toFixed(2), `${pinged.percent.toFixed(2)} %`, ''],
    ]);
    printTable('health-probes: memory of a probed app (RSS, median)', ['run by', 'RSS'], [
      [`pmx (${APPS} apps, probed every ${HEALTH.interval / 1000} s)`, mb(managedRss)],
      [`plain node (${PLAIN_COPIES} copies, a GET every ${HEALTH.interval / 1000} s)`, mb(plainRss)],
      ['over plain node', `${overMb.toFixed(2)} MB`],
    ]);
    printTable('health-probes: times', ['from', 'to', 'ms'], [
      ['app stops answering (SIGUSR2)', 'its restarted copy online', spread(u, 'ms')],
      ['event loop blocks (SIGUSR1)', "the agent's hung event", spread(d, 'ms')],
      ['event loop blocks (SIGUSR1)', 'its restarted copy online', spread(h, 'ms')],
    ]);
    return {
      figures: [
        figure({ name: `agent CPU of ${APPS} http probes a second`, unit: '%', pmx: cost, target: `<= ${TARGET_CPU} % of one core`, met: cost <= TARGET_CPU, note: `medians of ${CPU_ROUNDS}: ${withProbes.toFixed(2)} % with, ${without.toFixed(2)} % without` }),
        figure({ name: 'probed app RSS over plain node', unit: 'bytes', pmx: managedRss - plainRss, target: `<= ${TARGET_MEMORY_MB} MB`, met: overMb <= TARGET_MEMORY_MB, note: `${mb(managedRss)} under pmx, ${mb(plainRss)} plain (medians)` }),
        figure({ name: `agent CPU of ${APPS} notify sockets pinged every second`, unit: '%', pmx: notifyCost, target: `<= ${TARGET_CPU} % of one core, with the probes`, met: cost + notifyCost <= TARGET_CPU, note: `${pinged.percent.toFixed(2)} % with, ${silent.percent.toFixed(2)} % without; probes and notify together ${(cost + notifyCost).toFixed(2)} %` }),
        figure({ name: 'app stops answering -> restarted copy online', unit: 'ms', pmx: u.median, target: `<= interval x failures + 1 s (${restartBound} ms)`, met: u.max <= restartBound, note: `max ${u.max.toFixed(0)} ms, n=${u.n}` }),
        figure({ name: 'event loop blocked -> hung event', unit: 'ms', pmx: d.median, target: `<= hang_timeout + 1 s (${HANG_TIMEOUT_MS + 1000} ms)`, met: d.max <= HANG_TIMEOUT_MS + 1000, note: `max ${d.max.toFixed(0)} ms, n=${d.n}` }),
        figure({ name: 'event loop blocked -> restarted copy online', unit: 'ms', pmx: h.median, note: `kill_timeout 500 ms; max ${h.max.toFixed(0)} ms` }),
      ],
      data: { none, probed, costs, healthy, managedRss, plainRss, unanswered, hung, detected, silent, pinged, restartedPingers },
    };
  } finally {
    await m.dispose();
  }
}
