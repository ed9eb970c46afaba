// pre-deploy-local: the hook run once on this machine, in the ecosystem file's directory, before
// any host fetches (PM2 runs it with bash -c).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalPhase } from '../phase.js';
import { lineSplitter } from '../remote.js';
import { DeployStepError, lastLines } from '../run-error.js';

/** Fails the run (no host publishes) when the hook exits non-zero. */
export const preDeployLocalPhase: LocalPhase = {
  name: 'pre-deploy-local',
  applies: (run) => run.environment.preDeployLocal !== null,
  async run(run) {
    const hook = run.environment.preDeployLocal!;
    const shell = existsSync('/bin/bash') ? '/bin/bash' : 'sh';
    const line = lineSplitter((text) => run.emit({ kind: 'output', host: null, phase: 'pre-deploy-local', line: text }));
    let output = '';
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(shell, ['-c', hook], { cwd: dirname(run.environment.file), env: { ...process.env, ...run.environment.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const take = (chunk: Buffer): void => {
        output += chunk.toString();
        line.push(chunk.toString());
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('error', reject);
      child.on('close', (status) => resolve(status ?? 1));
    });
    line.flush();
    if (code !== 0) throw new DeployStepError('HOOK_FAILED', null, `the pre-deploy-local hook \`${hook}\` failed (exit ${code})`, { output: lastLines(output) });
  },
};
