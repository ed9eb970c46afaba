// A command that meets a dead agent never acts on a fresh, empty one: `pmx save --force` once
// replaced dump.pmx and its .bak with empty lists after the agent had died.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-dead-agent-');
afterAll(() => pmx.cleanup());

const dump = join(pmx.home, 'dump.pmx');
const saved = (file: string): string[] => (JSON.parse(readFileSync(file, 'utf8')) as { processes: { spec: { name: string } }[] }).processes.map((entry) => entry.spec.name);

async function killAgent(): Promise<void> {
  const agent = pmx.agentPid()!;
  process.kill(agent, 'SIGKILL');
  await eventually('the agent to die', () => !alive(agent));
}

describe('save after the agent died', () => {
  it('save --force saves what the new agent took over, never an empty list', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'a']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'b']);
    await pmx.ok(['save']);
    await pmx.ok(['save']);
    await killAgent();
    const run = await pmx.run(['save', '--force']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('had died');
    expect(run.stdout).toContain(`Saved 2 processes to ${dump}`);
    expect(saved(dump)).toEqual(['a', 'b']);
    expect(saved(`${dump}.bak`)).toEqual(['a', 'b']);
  });

  it('when what the dead agent ran cannot be known, save refuses and leaves the dump and its backup alone', async () => {
    const pids = (await pmx.jlist()).map((entry) => entry.pid);
    await killAgent();
    writeFileSync(join(pmx.home, 'agent.state'), '{"pmx_state":1,"proc'); // torn by a full disk, say
    const run = await pmx.run(['save', '--force']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('had died and what it ran cannot be known');
    expect(run.stderr).toContain(`no agent was running in ${pmx.home}, so there is nothing to save: ${dump} is kept as it is`);
    expect(saved(dump)).toEqual(['a', 'b']);
    expect(saved(`${dump}.bak`)).toEqual(['a', 'b']);
    for (const pid of pids) process.kill(pid, 'SIGKILL'); // the orphans nobody can know of now
  });

  it('save with no agent running saves nothing rather than the empty list of an agent it started; exit 0, as PM2 skips the save', async () => {
    await pmx.ok(['kill']);
    const run = await pmx.run(['save', '--force']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`No agent was running in ${pmx.home}: nothing to save, ${dump} is kept as it is`);
    expect(saved(dump)).toEqual(['a', 'b']);
  });

  it('save after the death of an agent whose apps were all stopped saves them, stopped: the new agent kept them, and says so', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'resting']);
    await pmx.ok(['stop', 'resting']);
    await killAgent();
    const run = await pmx.run(['save', '--force']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('[PMX]   at rest, kept as it left them: resting (id 0)');
    expect(run.stdout).toContain(`Saved 1 process to ${dump}`);
    expect(saved(dump)).toEqual(['resting']);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([['resting', 'stopped']]);
  });

  it('save after the death of an agent that ran nothing says so (not that no agent ran), and keeps the dump', async () => {
    await pmx.ok(['delete', 'all']);
    const agent = pmx.agentPid()!;
    await killAgent();
    const run = await pmx.run(['save', '--force']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`[PMX][WARN] The agent in ${pmx.home} (pid ${agent}) had died with no process: nothing to save, ${dump} is kept as it is`);
    expect(saved(dump)).toEqual(['resting']);
  });
});
