// deploy-scale: `deploy <env> setup`, `deploy <env>` (a new commit) and `deploy <env> revert 1` with
// pmx on 1, 10, 30 and 50 SSH hosts (the namespace hosts of the test harness: root on Linux), git
// strategy, post-deploy `true`, so that what is measured is pmx and SSH, not an app's reload.
// For each command: wall time; CPU seconds per host on the hosts' side (every sshd session of the
// hosts and what it ran: the CPU the listening sshd of each host has collected from its children,
// which are all reaped when the command ends) and on the whole machine (/proc/stat: that is every
// process, the CLI and other people's work included); the CLI's own CPU and peak RSS (/usr/bin/time:
// the CLI and the children it ran, the largest RSS being the CLI's); and from pmx's SSH trace
// (PMX_SSH_TRACE), the round trips per host: all of them, and the sequential ones. After each
// deploy and revert every host must have the expected release as current.
// BENCH_SCALE_HOSTS=1,10 limits the host counts; BENCH_SCALE_RUNS (default 3) the runs.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDeployApp, envName } from './lib/deploy-app.mjs';
import { printTable } from './lib/format.mjs';
import { cpuWithChildrenSeconds, machineCpuSeconds, parentMap, run, stats, waitFor } from './lib/measure.mjs';
import { tempDir } from './lib/paths.mjs';
import { pmx } from './lib/pmx.mjs';
import { figure, spread } from './lib/report.mjs';
import { describeChain, roundTrips } from './lib/ssh-trace.mjs';
import { onHost, startSshHosts } from './lib/ssh-hosts.mjs';

export const about = '`deploy setup`, `deploy` and `deploy revert 1` with pmx on 1, 10, 30 and 50 SSH hosts (git strategy, post-deploy `true`): wall time, CPU per host, CLI peak RSS, SSH round trips per host';

const ALL_COUNTS = [1, 10, 30, 50];
const COUNTS = process.env.BENCH_SCALE_HOSTS ? process.env.BENCH_SCALE_HOSTS.split(',').map(Number) : ALL_COUNTS;
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);
const STEPS = ['setup', 'first deploy', 'deploy', 'revert 1'];
const TIME = '/usr/bin/time';

/** Removes what setup and deploys made (no daemon runs: post-deploy is `true`). */
const RESET = 'rm -rf "$HOME/.pmx" /srv/bench-pmx; true';

/** What a host has as current: the VERSION of the release `current` points at. */
const CURRENT = 'cat /srv/bench-pmx/current/VERSION';

const hostsWord = (count) => `${count} host${count === 1 ? '' : 's'}`;

/** Resolves once the listening sshd of every host has no child left (every session ended and reaped). */
function sessionsEnded(hosts) {
  const listening = new Set(hosts.map((host) => host.internals.sshdPid));
  return waitFor(() => ![...parentMap().values()].some((parent) => listening.has(parent)), { timeoutMs: 10_000, everyMs: 10, what: 'the hosts\' ssh sessions to end' });
}

const hostsCpu = (hosts) => hosts.reduce((sum, host) => sum + cpuWithChildrenSeconds(host.internals.sshdPid), 0);

export default async function deployScaleBench() {
  const most = Math.max(...COUNTS);
  const fleet = await startSshHosts({ count: most, name: 'bench-scale' });
  // the hosts' CPU is read from their listening sshd: it must be that process, not a wrapper
  const notSshd = fleet.hosts.filter((host) => readFileSync(`/proc/${host.internals.sshdPid}/comm`, 'utf8').trim() !== 'sshd');
  if (notSshd.length > 0) throw new Error(`the harness's sshd pid of ${notSshd.map((h) => h.name).join(' ')} is not an sshd`);
  const tool = pmx();
  try {
    // 50 logins at once on a 2-core machine that also runs the 50 sshds: more than 5 s each when it is busy
    const app = createDeployApp(fleet, { tools: ['pmx'], counts: COUNTS, postDeploy: () => 'true', connectTimeout: 30 });
    const dir = tempDir('deploy-scale');
    const samples = {};
    const add = (key, sample) => (samples[key] ??= []).push(sample);
    const measured = async (count, words) => {
      const hosts = fleet.hosts.slice(0, count);
      const trace = join(dir, 'trace.jsonl');
      const timeFile = join(dir, 'time.txt');
      rmSync(trace, { force: true });
      const [command, argv, { env }] = tool.command(['deploy', 'ecosystem.config.js', envName('pmx', count), ...words]);
      const timed = existsSync(TIME) ? [TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...argv]] : [command, argv];
      await sessionsEnded(hosts);
      const [machine0, hosts0] = [machineCpuSeconds(), hostsCpu(hosts)];
      const result = await run(...timed, { env: { ...env, PMX_SSH_TRACE: trace }, cwd: app.dir });
      if (result.code !== 0) throw new Error(`pmx deploy ${words.join(' ')} on ${hostsWord(count)} exited with ${result.code}:\n${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n')}`);
      await sessionsEnded(hosts);
      const [machine1, hosts1] = [machineCpuSeconds(), hostsCpu(hosts)];
      const [rssKb, user, system] = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number) : [NaN, NaN, NaN];
      const trips = roundTrips(trace);
      if (trips.length !== count) throw new Error(`the SSH trace names ${trips.length} hosts, not ${count}`);
      const perHost = (key) => stats(trips.map((t) => t[key])).median;
      return {
        s: result.ms / 1000,
        hostCpu: (hosts1 - hosts0) / count,
        machineCpu: (machine1 - machine0) / count,
        cliCpu: user + system,
        rss: rssKb * 1024,
        commands: perHost('commands'),
        trips: perHost('trips'),
        sequential: perHost('sequential'),
        maxSequential: Math.max(...trips.map((t) => t.sequential)),
        chain: describeChain(trips.find((t) => t.sequential === perHost('sequential'))?.chain ?? trips[0].chain),
      };
    };
    const expectCurrent = async (hosts, version) => {
      const seen = await Promise.all(hosts.map((host) => onHost(host, CURRENT)));
      const wrong = hosts.filter((_, i) => seen[i].trim() !== version);
      if (wrong.length > 0) throw new Error(`after the deploy, ${wrong.map((h) => h.name).join(' ')} do not have ${version} as current`);
    };
    for (let round = 1; round <= RUNS; round++) {
      for (const count of COUNTS) {
        const hosts = fleet.hosts.slice(0, count);
        await Promise.all(hosts.map((host) => onHost(host, RESET)));
        const [older, newer] = [`r${round}-${count}-a`, `r${round}-${count}-b`];
        app.commit(older);
        const step = async (name, words, version) => {
          const sample = await measured(count, words);
          if (version) await expectCurrent(hosts, version);
          add(`${name} ${count}`, sample);
        };
        await step('setup', ['setup'], null);
        await step('first deploy', [], older);
        app.commit(newer);
        await step('deploy', [], newer);
        await step('revert 1', ['revert', '1'], older);
        console.log(`  round ${round}/${RUNS}, ${hostsWord(count)}: ${STEPS.map((s) => `${s} ${samples[`${s} ${count}`].at(-1).s.toFixed(2)} s`).join(', ')}`);
      }
    }
    await Promise.all(fleet.hosts.map((host) => onHost(host, RESET)));
    const med = (name, count, key) => stats(samples[`${name} ${count}`].map((sample) => sample[key])).median;
    const st = (name, count, key) => stats(samples[`${name} ${count}`].map((sample) => sample[key]));
    printTable(
      `deploy-scale: ${RUNS} runs each; medians (wall: median (min-max)); CPU per host; round trips per host (median over hosts)`,
      ['command', 'hosts', 'wall', 'host CPU/host', 'machine CPU/host', 'CLI CPU', 'CLI peak RSS', 'commands', 'trips', 'sequential (max)'],
      STEPS.flatMap((name) =>
        COUNTS.map((count) => [
          name,
          count,
          spread(st(name, count, 's'), 's'),
          `${med(name, count, 'hostCpu').toFixed(3)} s`,
          `${med(name, count, 'machineCpu').toFixed(3)} s`,
          `${med(name, count, 'cliCpu').toFixed(2)} s`,
          `${(med(name, count, 'rss') / 2 ** 20).toFixed(1)} MB`,
          med(name, count, 'commands'),
          med(name, count, 'trips'),
          `${med(name, count, 'sequential')} (${Math.max(...samples[`${name} ${count}`].map((sample) => sample.maxSequential))})`,
        ]),
      ),
    );
    console.log('\n  the sequential commands of a host (2 round trips for the first, channel open and exec request; 1 for each other, its channel opened ahead; the login apart):');
    for (const name of STEPS) console.log(`    ${name}: ${samples[`${name} ${COUNTS[0]}`].at(-1).chain}`);
    const wall = (name, count) => med(name, count, 's');
    const judged = [];
    const target = (name, text, actual, limit, format) => {
      judged.push({ name, text, actual, limit, met: actual <= limit, shown: format(actual) });
    };
    const secs = (v) => `${v.toFixed(3)} CPU s`;
    const times = (v) => `${v.toFixed(2)} x`;
    const plain = (v) => String(v);
    const has = (count) => COUNTS.includes(count);
    target('deploy', `host-side CPU <= 0.15 s per host (${hostsWord(most)})`, med('deploy', most, 'hostCpu'), 0.15, secs);
    if (has(1) && has(10)) target('deploy', '10 hosts <= 2 x 1 host', wall('deploy', 10) / wall('deploy', 1), 2, times);
    if (has(1) && has(50)) target('deploy', '50 hosts <= 5 x 1 host', wall('deploy', 50) / wall('deploy', 1), 5, times);
    target('deploy', '<= 8 sequential round trips per host', Math.max(...COUNTS.map((c) => med('deploy', c, 'sequential'))), 8, plain);
    target('revert 1', '<= 3 sequential round trips per host', Math.max(...COUNTS.map((c) => med('revert 1', c, 'sequential'))), 3, plain);
    if (has(50)) target('deploy', 'CLI peak RSS <= 120 MB at 50 hosts', Math.max(...STEPS.map((s) => med(s, 50, 'rss'))) / 2 ** 20, 120, (v) => `${v.toFixed(1)} MB`);
    for (const t of judged) console.log(`  ${t.name}: ${t.text}: ${t.shown}, ${t.met ? 'met' : 'NOT met'}`);
    const figures = STEPS.filter((s) => s !== 'first deploy').flatMap((name) =>
      COUNTS.map((count) =>
        figure({ name: `${name}, ${hostsWord(count)}`, unit: 's', pmx: wall(name, count), note: `median of ${RUNS}; ${med(name, count, 'sequential')} sequential round trips per host; host CPU ${med(name, count, 'hostCpu').toFixed(3)} s per host` }),
      ),
    );
    figures.push(...judged.map((t) => figure({ name: `${t.name}: ${t.text.replace(/ <= .*/, '')}`, unit: 'count', pmx: Number(t.actual.toFixed(3)), target: t.text, met: t.met })));
    return { figures, data: samples };
  } finally {
    await tool.dispose();
  }
}
