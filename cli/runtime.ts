// The agent in the foreground (`pmx --no-daemon`, `pmx-runtime [file]`): for systemd Type=simple
// and containers. With a file, its apps are started once the agent listens.
import { resolveHome } from '../agent/protocol/home.js';
import { runAgent } from '../agent/main.js';
import { connectAgent } from './client/agent.js';

export interface RuntimeOptions {
  file: string | null;
  envName: string | undefined;
}

/** Runs the agent in this process; it ends when the agent is killed or signalled. */
export async function runForeground(options: RuntimeOptions): Promise<void> {
  const home = resolveHome();
  await runAgent({ home, foreground: true, readyFd: null, sampleIntervalMs: Number(process.env.PMX_SAMPLE_INTERVAL_MS) || 1000 });
  if (!options.file) return;
  const { loadEcosystem } = await import('./ecosystem/index.js');
  const loaded = await loadEcosystem(options.file, { envName: options.envName, baseEnv: process.env });
  for (const warning of loaded.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
  const agent = await connectAgent(home, { spawn: false });
  if (!agent) throw new Error(`the agent in this process does not answer on ${home.socket}`);
  await agent.call('start', { apps: loaded.apps, mode: 'start', updateEnv: false });
  agent.close();
}
