// pre-deploy-local: the hook run once on this machine, in the ecosystem file's directory, before
// any host fetches (PM2 runs it with bash -c). An interrupt ends it with everything it started.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalPhase } from '../phase.js';
import { lineSplitter } from '../../shared/line-splitter.js';
import { exportEnv } from '../../transport/quote.js';
import { DeployStepError, lastLines } from '../run-error.js';

/** Fails the run (no host publishes) when the hook exits non-zero or is interrupted. */
export const preDeployLocalPhase: LocalPhase = {
  name: 'pre-deploy-local',
  applies: (run) => run.environment.preDeployLocal !== null,
  async run(run) {
    const hook = run.environment.preDeployLocal!;
    if (run.rehearsal) return void run.emit({ kind: 'planned', host: null, phase: 'pre-deploy-local', command: hook });
    const shell = existsSync('/bin/bash') ? '/bin/bash' : 'sh';
    const line = lineSplitter((text) => run.emit({ kind: 'output', host: null, phase: 'pre-deploy-local', line: text }));
    let output = '';
    let stopped = false;
    const code = await new Promise<number>((resolve, reject) => {
      // its own process group: the interrupt ends the hook and whatever it started, and nothing else
      // the deploy section's env exported as on the hosts: its `$NAME` references expand (`/opt/bin:$PATH`)
      const env = run.environment.env;
      const script = `${exportEnv(env, Object.keys(env))}\n${hook}`;
      const child = spawn(shell, ['-c', script], { cwd: dirname(run.environment.file), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const stop = (): void => {
        stopped = true;
        try {
          if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
        } catch {
          // it ended on its own meanwhile
        }
      };
      const take = (chunk: Buffer): void => {
        output += chunk.toString();
        line.push(chunk.toString());
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('error', reject);
      child.on('close', (status) => {
        run.stop?.removeEventListener('abort', stop);
        resolve(status ?? 1);
      });
      if (run.stop?.aborted) stop();
      else run.stop?.addEventListener('abort', stop, { once: true });
    });
    line.flush();
    if (stopped) throw new DeployStepError(`the pre-deploy-local hook \`${hook}\` was interrupted`, { code: 'INTERRUPTED' });
    if (code !== 0) throw new DeployStepError(`the pre-deploy-local hook \`${hook}\` failed (exit ${code})`, { code: 'HOOK_FAILED', output: lastLines(output) });
  },
};
