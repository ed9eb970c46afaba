// `pmx import pm2`: takes over a PM2 install in one command. PM2's saved list (dump.pm2) and its
// pm2-logrotate settings become pmx apps; while PM2's daemon still runs them, pmx offers to stop it
// (`pm2 kill`) first, so no app runs twice; then the apps start under pmx and the list is saved.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { dumpToApps, pm2LogRotate, readPm2Dump } from './pm2-dump.js';
import { startSpecs } from './start.js';

/** Flags of `pmx import pm2`. */
export interface ImportFlags {
  /** PM2's home (default: PM2_HOME, else ~/.pm2). */
  pm2Home?: string;
  /** The PM2 command that runs `kill` (default: pm2 on PATH). */
  pm2?: string;
  /** Stop PM2 without asking. */
  yes?: boolean;
}

/** `pmx import pm2 [--pm2-home <dir>] [--pm2 <cli>] [--yes]`. */
export async function importPm2(ctx: CommandContext, source: string, flags: ImportFlags): Promise<void> {
  if (source !== 'pm2') throw new CliError(`import: only 'pm2' can be imported, got '${source}'`, { code: 'BAD_ARGUMENT', hint: 'pmx import pm2' });
  const pm2Home = resolve(flags.pm2Home ?? process.env.PM2_HOME ?? join(homedir(), '.pm2'));
  const rotation = pm2LogRotate(pm2Home);
  const raw = dumpToApps(readPm2Dump(pm2Home), pm2Home, rotation);
  const { loadEcosystemValue } = await import('../ecosystem/index.js');
  // every app is checked before anything changes: a bad one names the dump and imports nothing
  const { apps, warnings } = await loadEcosystemValue({ apps: raw }, join(pm2Home, 'dump.pm2'), { baseEnv: process.env, cwd: process.cwd() });
  for (const warning of warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
  ctx.out.write(`[PMX] PM2's saved list (${join(pm2Home, 'dump.pm2')}): ${apps.map((app) => `${app.name} (${app.instances} ${app.exec_mode === 'cluster_mode' ? 'cluster' : 'fork'}${app.autostart === false ? ', stopped: registered stopped' : ''})`).join(', ') || 'no app'}\n`);
  if (rotation) ctx.out.write(`[PMX] pm2-logrotate settings become each app's log_rotate: ${JSON.stringify(rotation)}\n`);

  const daemon = runningDaemon(pm2Home);
  if (daemon !== null) {
    const command = `PM2_HOME=${pm2Home} ${flags.pm2 ?? 'pm2'} kill`;
    if (!(flags.yes || (await ask(`PM2 (pid ${daemon}) still runs its apps. Stop it now (${command}) and start them under pmx? [y/N] `)))) {
      throw new CliError(`nothing imported: PM2 (pid ${daemon}) still runs these apps and both would run them`, { code: 'BAD_ARGUMENT', hint: `stop PM2 first (${command}), or run 'pmx import pm2 --yes'` });
    }
    // `pm2 kill` ends everything PM2 runs: what it runs but never saved would be lost without a word
    const unsaved = unsavedApps(pm2Home, flags.pm2 ?? 'pm2', new Set(apps.map((app) => app.name)));
    if (unsaved.length > 0) {
      throw new CliError(`nothing imported: PM2 runs ${unsaved.map((name) => `'${name}'`).join(', ')}, which its saved list does not have; stopping PM2 would end ${unsaved.length === 1 ? 'it' : 'them'} for good`, { code: 'BAD_ARGUMENT', hint: `save PM2's list first (PM2_HOME=${pm2Home} pm2 save), or delete what you do not want from PM2, then run 'pmx import pm2' again` });
    }
    stopPm2(pm2Home, flags.pm2 ?? 'pm2', daemon);
    ctx.out.write(`[PMX] PM2 stopped (${command})\n`);
  }
  if (apps.length > 0) {
    await startSpecs(ctx, apps, {}, 'start');
    await withAgent(ctx, (agent) => agent.call('save', { force: false }));
    ctx.out.write(`[PMX] Imported ${apps.length} app${apps.length === 1 ? '' : 's'} from PM2 and saved the list (pmx resurrect brings it back)\n`);
  }
}

/** The pid of PM2's daemon for that home while it runs, else null. */
function runningDaemon(pm2Home: string): number | null {
  try {
    const pid = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim());
    if (!(pid > 0)) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** The names PM2 runs now (`pm2 jlist`) that are not in `saved`; what cannot be listed is said so, not guessed. */
function unsavedApps(pm2Home: string, cli: string, saved: Set<string>): string[] {
  const listed = spawnSync(cli, ['jlist'], { env: { ...process.env, PM2_HOME: pm2Home }, encoding: 'utf8', timeout: 60_000 });
  let running: { name?: unknown }[];
  try {
    if (listed.error || listed.status !== 0) throw listed.error ?? new Error(`exit ${listed.status}`);
    // PM2 may print a line or two before the JSON
    running = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('['))) as { name?: unknown }[];
  } catch (error) {
    throw new CliError(`nothing imported: '${cli} jlist' could not tell what PM2 runs (${(error as Error).message}), so stopping it could end apps its saved list does not have`, { code: 'INTERNAL', hint: `stop PM2 yourself once its list is saved (PM2_HOME=${pm2Home} pm2 save && pm2 kill), then run 'pmx import pm2' again` });
  }
  return [...new Set(running.map((entry) => String(entry.name)).filter((name) => !saved.has(name)))];
}

function stopPm2(pm2Home: string, cli: string, daemon: number): void {
  const killed = spawnSync(cli, ['kill'], { env: { ...process.env, PM2_HOME: pm2Home }, encoding: 'utf8', timeout: 60_000 });
  if (killed.error || killed.status !== 0 || runningDaemon(pm2Home) === daemon) {
    const why = killed.error ? killed.error.message : `exit ${killed.status}: ${(killed.stderr || killed.stdout).trim().split('\n').at(-1) ?? ''}`;
    throw new CliError(`nothing imported: '${cli} kill' did not stop PM2 (${why})`, { code: 'INTERNAL', hint: `stop PM2 yourself (PM2_HOME=${pm2Home} pm2 kill), then run 'pmx import pm2' again` });
  }
}

async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
