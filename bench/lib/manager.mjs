// A process manager under test (pmx or PM2) as one small interface: its CLI run with a private
// home folder, its daemon's pid, its process list, and a kill that is sure to leave nothing
// running (registered for the end of the run and for Ctrl-C).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertRunning, onCleanup } from './cleanup.mjs';
import { isAlive, run, runOk, waitFor } from './measure.mjs';
import { tempDir } from './paths.mjs';

/**
 * name: 'pmx' or 'pm2'; label: how tables name it; bin: its CLI script (run with this node);
 * homeVar: the variable naming its home; pidFile: the daemon's pid file inside that home.
 */
export function manager({ name, label, version, bin, homeVar, pidFile }) {
  const home = tempDir(name);
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.PMX_HOME;
  delete env.PM2_HOME;
  env[homeVar] = home;
  const argv = (args) => [bin, ...args];

  const daemonPid = () => {
    try {
      const pid = Number(readFileSync(join(home, pidFile), 'utf8').trim());
      return pid > 0 && isAlive(pid) ? pid : null;
    } catch {
      return null;
    }
  };

  const self = {
    name,
    label,
    version,
    home,
    logsDir: join(home, 'logs'),
    /** Runs the CLI; a non-zero exit throws. Resolves to { stdout, stderr, ms }. */
    cli: (args, extraEnv = {}) => {
      assertRunning();
      return runOk(process.execPath, argv(args), { env: { ...env, ...extraEnv } });
    },
    /** The command line that cli() would spawn, for timing loops. */
    command: (args) => {
      assertRunning();
      return [process.execPath, argv(args), { env }];
    },
    /** The daemon's pid while it runs, else null. */
    daemonPid,
    async jlist() {
      return JSON.parse((await self.cli(['jlist'])).stdout);
    },
    /** Stops every app and the daemon (`<cli> kill`), and makes sure they are gone. */
    async stop() {
      const daemon = daemonPid();
      if (daemon === null) return;
      let apps = [];
      try {
        // run(), not cli(): this must work after an interrupt too
        const listed = await run(process.execPath, argv(['jlist']), { env });
        apps = JSON.parse(listed.stdout).map((p) => p.pid).filter((pid) => pid > 0);
      } catch {
        // a daemon that cannot list is killed all the same
      }
      await run(process.execPath, argv(['kill']), { env });
      try {
        await waitFor(() => !isAlive(daemon), { timeoutMs: 5000, what: `${label} daemon ${daemon} to exit` });
      } catch (error) {
        console.error(`  ${error.message}: SIGKILL`);
      }
      // whatever `kill` left behind is ours: by pid only
      for (const pid of [daemon, ...apps]) {
        if (isAlive(pid)) {
          console.error(`  ${label}: pid ${pid} outlived 'kill': SIGKILL`);
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone in between
          }
        }
      }
    },
  };
  const dispose = onCleanup(async () => {
    await self.stop();
    // a command in flight when the run was interrupted may have spawned a daemon again
    await sleep(300);
    await self.stop();
    rmSync(home, { recursive: true, force: true });
  });
  self.dispose = dispose;
  return self;
}
