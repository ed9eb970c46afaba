// health-probes: what health checks and hang detection cost and how fast they act. 50 Node HTTP
// apps, first without probes, then each probed over HTTP every second: the agent's CPU seconds
// over the same window (from /proc), as a percentage of one core, and the difference. Then the
// time from an app that stops answering (SIGUSR2: its handlers hang) to its restarted copy
// online, and from an app whose event loop blocks (SIGUSR1: `for (;;)`) to the agent's `hung`
// event and to its copy online. Last, the notify socket's cost: 50 apps with `watchdog` sending
// WATCHDOG=1 every second on their notify sockets, against the same 50 apps without. pmx only:
// PM2 has none of these.
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { cpuSeconds, epochMs, msSince, stats, waitFor } from './lib/measure.mjs';
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
const TARGET_CPU = 0.5;
/** The pinging apps' watchdog: generous, so that a loaded machine does not restart them mid-window. */
const WATCHDOG = '10s';

function appsOn(ports, extra) {
  return ports.map((port, i) => ({ name: `web${i}`, script: app('http-health.cjs'), env: { PORT: String(port) }, kill_timeout: 500, ...extra(port) }));
}

function pingers(watchdog) {
  return Array.from({ length: APPS }, (_, i) => ({ name: `ping${i}`, script: app('notify-ping.cjs'), notify: true, listen_timeout: 60_000, ...(watchdog ? { watchdog } : {}) }));
}

/** Starts the apps, lets them settle (listening on `ports`, or all online), and returns the agent's CPU % over the window. */
async function agentCpu(m, dir, name, apps, ports) {
  await m.cli(['start', ecosystemFile(dir, name, apps)]);
  for (const port of ports) await waitForPort(port, 60_000);
  if (ports.length === 0) await waitFor(async () => (await m.jlist()).every((p) => p.pm2_env.status === 'online'), { timeoutMs: 120_000, everyMs: 500, what: `${name}: every app online` });
  await sleep(SETTLE_MS);
  const agent = m.daemonPid();
  const before = cpuSeconds(agent);
  const started = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  const seconds = cpuSeconds(agent) - before;
  return { percent: (seconds / (msSince(started) / 1000)) * 100, seconds };
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
    const none = await agentCpu(m, dir, 'plain', appsOn(ports, () => ({})), ports);
    await m.cli(['delete', 'all']);
    const probed = await agentCpu(m, dir, 'probed', appsOn(ports, (port) => ({ health: { http: `http://127.0.0.1:${port}/health`, ...HEALTH }, hang_timeout: HANG_TIMEOUT_MS })), ports);
    const healthy = (await m.jlist()).filter((p) => p.pm2_env.health?.status === 'healthy').length;
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

    const cost = probed.percent - none.percent;
    const notifyCost = pinged.percent - silent.percent;
    const restartBound = HEALTH.interval * HEALTH.failures + 1000;
    const [u, h, d] = [stats(unanswered), stats(hung), stats(detected)];
    printTable(`health-probes: ${APPS} Node HTTP apps, agent CPU over ${WINDOW_MS / 1000} s`, ['apps', 'CPU seconds', '% of one core'], [
      ['no probes', none.seconds.toFixed(2), `${none.percent.toFixed(2)} %`],
      [`http probe every ${HEALTH.interval / 1000} s (${healthy} healthy)`, probed.seconds.toFixed(2), `${probed.percent.toFixed(2)} %`],
      ['idle apps, no notify socket', silent.seconds.toFixed(2), `${silent.percent.toFixed(2)} %`],
      [`WATCHDOG=1 every second, watchdog ${WATCHDOG} (${restartedPingers} restarts)`, pinged.seconds.toFixed(2), `${pinged.percent.toFixed(2)} %`],
    ]);
    printTable('health-probes: times', ['from', 'to', 'ms'], [
      ['app stops answering (SIGUSR2)', 'its restarted copy online', spread(u, 'ms')],
      ['event loop blocks (SIGUSR1)', "the agent's hung event", spread(d, 'ms')],
      ['event loop blocks (SIGUSR1)', 'its restarted copy online', spread(h, 'ms')],
    ]);
    return {
      figures: [
        figure({ name: `agent CPU of ${APPS} http probes a second`, unit: '%', pmx: cost, target: `<= ${TARGET_CPU} % of one core`, met: cost <= TARGET_CPU, note: `${probed.percent.toFixed(2)} % with, ${none.percent.toFixed(2)} % without` }),
        figure({ name: `agent CPU of ${APPS} notify sockets pinged every second`, unit: '%', pmx: notifyCost, target: `<= ${TARGET_CPU} % of one core, with the probes`, met: cost + notifyCost <= TARGET_CPU, note: `${pinged.percent.toFixed(2)} % with, ${silent.percent.toFixed(2)} % without; probes and notify together ${(cost + notifyCost).toFixed(2)} %` }),
        figure({ name: 'app stops answering -> restarted copy online', unit: 'ms', pmx: u.median, target: `<= interval x failures + 1 s (${restartBound} ms)`, met: u.max <= restartBound, note: `max ${u.max.toFixed(0)} ms, n=${u.n}` }),
        figure({ name: 'event loop blocked -> hung event', unit: 'ms', pmx: d.median, target: `<= hang_timeout + 1 s (${HANG_TIMEOUT_MS + 1000} ms)`, met: d.max <= HANG_TIMEOUT_MS + 1000, note: `max ${d.max.toFixed(0)} ms, n=${d.n}` }),
        figure({ name: 'event loop blocked -> restarted copy online', unit: 'ms', pmx: h.median, note: `kill_timeout 500 ms; max ${h.max.toFixed(0)} ms` }),
      ],
      data: { none, probed, healthy, unanswered, hung, detected, silent, pinged, restartedPingers },
    };
  } finally {
    await m.dispose();
  }
}
