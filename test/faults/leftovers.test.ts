// What an app starts never outlives it, however it got away: a double fork into its own session,
// a detached child with no output that its parent left when it crashed at once, a child whose
// parent ended while no agent watched (the agent killed with SIGKILL during a stop, or before the
// app died), a cluster worker's child when the workers died with their agent. The tree of parents
// loses each of them before anyone sees it; each launch's PMX_LAUNCH marker, in the environment
// they inherited, finds them.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort } from '../helpers/net.js';
import { processesOfHome } from '../helpers/home-processes.js';

const pmx = new PmxSandbox('pmx-leftovers-');
afterAll(() => pmx.cleanup());

/** Pids of this home's `sleep <seconds>` processes. */
function sleeps(seconds: number): number[] {
  return processesOfHome(pmx.home)
    .filter(({ cmdline }) => cmdline[0]?.endsWith('sleep') && cmdline[1] === String(seconds))
    .map(({ pid }) => pid);
}

function script(name: string, text: string, mode = 0o644): string {
  const path = join(pmx.dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

async function killAgent(): Promise<void> {
  const agent = pmx.agentPid()!;
  process.kill(agent, 'SIGKILL');
  await eventually('the agent to die', () => !alive(agent));
}

describe("an app's escaped processes", () => {
  it("one that clears its environment (no launch marker) escapes, but its output pipes are never given to a later app: no other log gets its lines", async () => {
    const go = join(pmx.dir, 'leak-go');
    // quiet until told, then it writes on the app's stdout and stderr, which it holds
    const daemon = `while [ ! -e ${go} ]; do sleep 0.1; done; echo LEAKED-OUT; echo LEAKED-ERR >&2; touch ${go}.done; sleep 60`;
    // a double fork: re-parented to init, out of the app's tree
    const app = script('leaker.sh', `#!/bin/sh\n(setsid env -i /bin/sh -c '${daemon}' &)\nexec sleep 4501\n`, 0o755);
    await pmx.ok(['start', app, '-n', 'leaker']);
    const escaped = await eventually('the daemon running', () => {
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`! -e ${go} ]`)) return Number(name);
        } catch {
          // gone
        }
      }
      return null;
    });
    try {
      await pmx.ok(['kill']); // a clean end: the next agent has no state file to tell it what runs
      for (let i = 0; i < 8; i++) await pmx.ok(['start', script(`quiet-${i}.sh`, '#!/bin/sh\nexec sleep 4502\n', 0o755), '-n', `quiet-${i}`]);
      writeFileSync(go, '');
      await eventually('the daemon has written', () => existsSync(`${go}.done`));
      const logs = join(pmx.home, 'logs');
      expect(readdirSync(logs).filter((file) => readFileSync(join(logs, file), 'utf8').includes('LEAKED'))).toEqual([]);
    } finally {
      if (alive(escaped)) process.kill(escaped, 'SIGKILL');
    }
    await pmx.ok(['delete', 'all']);
  });

  it('a double fork into its own session ends with a stop', async () => {
    const app = script('dfork.sh', '#!/bin/sh\n(setsid sleep 4201 &)\nsleep 4202 &\nexec sleep 4203\n', 0o755);
    await pmx.ok(['start', app, '-n', 'dfork']);
    await eventually('the escaped sleep running', () => sleeps(4201).length === 1);
    await pmx.ok(['stop', 'dfork']);
    // by the time the stop answers, not a moment later
    expect([...sleeps(4201), ...sleeps(4202), ...sleeps(4203)]).toEqual([]);
    await pmx.ok(['delete', 'dfork']);
  });

  it('pmx kill ends the escaped processes of every app, fork and cluster, before the agent is gone', async () => {
    const app = script('escape.js', "require('child_process').spawn('sh', ['-c', 'sleep 4701 >/dev/null 2>&1 </dev/null &'], { detached: true, stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', app, '-n', 'esc-fork']);
    await pmx.ok(['start', app, '-n', 'esc-cluster', '-i', '2']);
    await eventually('three escaped sleeps', () => sleeps(4701).length === 3);
    await pmx.ok(['kill']);
    expect(sleeps(4701)).toEqual([]);
  });

  it('a detached child without output, left by an app that crashes at once, ends before the app runs again', async () => {
    const app = script('detach-crash.js', "require('child_process').spawn('sleep', ['4302'], { detached: true, stdio: 'ignore' }).unref();\nsetTimeout(() => process.exit(1), 300);\n");
    await pmx.ok(['start', app, '-n', 'detacher', '--restart-delay', '500']);
    await eventually('three launches', async () => (await pmx.proc('detacher')).pm2_env.restart_time >= 3);
    await pmx.ok(['stop', 'detacher']);
    await eventually('no sleep left of any launch', () => sleeps(4302).length === 0);
    await pmx.ok(['delete', 'detacher']);
  });

  it("the agent killed during a stop: the next agent ends the stopped app's detached child", async () => {
    const app = script('slow-stop.js', "require('child_process').spawn('sleep', ['4401'], { detached: true, stdio: 'ignore' }).unref();\nprocess.on('SIGINT', () => setTimeout(() => process.exit(0), 1500));\nconsole.log('up');\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', app, '-n', 'slowstop']);
    await eventually('its child running', () => sleeps(4401).length === 1);
    const stopping = pmx.run(['stop', 'slowstop']);
    await eventually('the stop under way', () => readFileSync(join(pmx.home, 'agent.state'), 'utf8').includes('"status":"stopping"'));
    await killAgent();
    await stopping;
    expect((await pmx.proc('slowstop')).pm2_env.status).toMatch(/^stopp/);
    await eventually('the child ended', () => sleeps(4401).length === 0);
    await eventually('the app stopped', async () => (await pmx.proc('slowstop')).pm2_env.status === 'stopped');
    await pmx.ok(['delete', 'slowstop']);
  });

  it('an app that died while no agent ran: the next agent ends what it left', async () => {
    const app = script('parent.js', "require('child_process').spawn('sleep', ['4404'], { stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', app, '-n', 'orphaner', '--no-autorestart']);
    await eventually('its child running', () => sleeps(4404).length === 1);
    const main = (await pmx.proc('orphaner')).pid;
    await killAgent();
    process.kill(main, 'SIGKILL');
    await eventually('the app gone', () => !alive(main));
    expect(sleeps(4404)).toHaveLength(1);
    await pmx.jlist();
    await eventually('the child ended', () => sleeps(4404).length === 0);
    await pmx.ok(['delete', 'orphaner']);
  });

  it("cluster workers that died with their agent: the next agent ends their children before starting them again", async () => {
    const port = await freePort();
    const app = script('worker-child.js', "require('child_process').spawn('sleep', ['4601'], { stdio: 'ignore' });\nrequire('http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT));\n");
    await pmx.ok(['start', app, '-n', 'workers', '-i', '2'], { env: { PORT: String(port) } });
    await eventually('both children running', () => sleeps(4601).length === 2);
    const old = sleeps(4601);
    await killAgent();
    const list = await pmx.jlist();
    expect(list.filter((entry) => entry.name === 'workers')).toHaveLength(2);
    // the old workers' children end; the restarted workers start one each
    await eventually("the old workers' children ended", () => old.every((pid) => !alive(pid)));
    await eventually("the new workers' children", () => sleeps(4601).length === 2);
    await pmx.ok(['delete', 'workers']);
    await eventually('none left', () => sleeps(4601).length === 0);
  });
});

describe("a killed agent's half-written files", () => {
  it("the next agent removes a dump's temporary copies (they hold every app's environment) and keeps what is not its own", async () => {
    await pmx.ok(['ping']);
    await pmx.ok(['kill']);
    // as an agent killed between writing the copy and renaming it leaves them (its pid in the name)
    const stale = ['dump.pmx.999999.tmp', 'dump.pmx.bak.999998.tmp', 'agent.pid.999997.tmp'];
    for (const name of stale) writeFileSync(join(pmx.home, name), '{"processes":[{"spec":{"env":{"API_TOKEN":"t0k"}}}]}', { mode: 0o600 });
    writeFileSync(join(pmx.home, 'notes.999.tmp'), 'mine');
    await pmx.ok(['ping']);
    const left = readdirSync(pmx.home);
    for (const name of stale) expect(left).not.toContain(name);
    expect(left).toContain('notes.999.tmp');
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain('removed dump.pmx.999999.tmp, left by an agent that was killed while writing it');
  });
});

