// `pmx deploy [file] <environment> [command] [args]`: parse the words as PM2 does, run the
// command on every host, show it (listr2 on a terminal, plain lines elsewhere, --json), and exit
// non-zero unless every host did what was asked and serves what the run meant (read back). The
// first Ctrl-C (or SIGTERM) interrupts the run where it safely can; the second quits at once,
// saying what may be left on each host.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorJson, reportError } from '../output/errors.js';
import { printable, styleFor } from '../output/style.js';
import { asksForHelp, parseDeployWords, splitFile } from '../deploy/args.js';
import { takePm2Options } from '../deploy/pm2-options.js';
import { listEnvironments } from '../deploy/config.js';
import { DeployConfigError } from '../deploy/errors.js';
import { serving } from '../deploy/events.js';
import { Interruption, interruptedExitCode } from '../deploy/interrupt.js';
import { deployFile, readDeploySection } from '../deploy/load-deploy.js';
import { jsonView } from '../deploy/output/json-view.js';
import { listrView } from '../deploy/output/listr-view.js';
import { plainView } from '../deploy/output/plain-view.js';
import { planned, planView } from '../deploy/output/plan-view.js';
import type { DeployView } from '../deploy/output/view.js';
import { splitList } from '../deploy/host-selection.js';
import { shownOutcome, shownRamp } from '../deploy/shown.js';
import { parseRollingFlag, type Rolling } from '../deploy/ramp.js';
import { loadEnvironment, runDeploy } from '../deploy/run.js';
import { isEcosystemFile } from '../ecosystem/find.js';
import type { CommandContext } from './context.js';

/** Flags of `pmx deploy`, as commander gives them. */
export interface DeployFlags {
  force?: boolean;
  json?: boolean;
  parallel?: string;
  rolling?: string;
  /** `revert --to <release|sha>`. */
  to?: string;
  /** Comma-separated globs of host names to run on. */
  hosts?: string;
  /** Comma-separated roles: the hosts having any of them. */
  roles?: string;
  /** Print per host the phases and commands deploy, setup or revert would run; change nothing. */
  plan?: boolean;
}

/** The commands --plan can show. */
const PLANNED = new Set(['deploy', 'setup', 'revert']);

/**
 * Runs `pmx deploy <args>`; sets process.exitCode: 1 unless every host succeeded (and serves the
 * run's release), 130/143 when interrupted. `help` is the command's help, printed for `pmx deploy
 * <file>` and `pmx deploy help` (exit 0), as PM2 prints its deploy help there.
 */
export async function deploy(ctx: CommandContext, args: string[], flags: DeployFlags, help: () => string): Promise<void> {
  const view = flags.plan ? planView(ctx.out, styleFor(ctx.color), Boolean(flags.json)) : chooseView(ctx, flags);
  const interruption = new Interruption();
  const stopListening = listenForInterrupts(interruption, ctx.err);
  try {
    const { file: named, rest } = splitFile(args, (word) => isEcosystemFile(word) && isFile(word));
    const { words: given, force, ignored } = takePm2Options(rest);
    for (const option of ignored) ctx.err.write(`[PMX][WARN] ${option} is ignored by pmx deploy, as PM2's deploy ignores it\n`);
    // `help` is asked before any file is looked for; a file named is read first (one PM2 cannot parse fails)
    if (named === null && asksForHelp(named, given)) return void ctx.out.write(help());
    const file = deployFile(named, process.cwd());
    const environments = listEnvironments(await readDeploySection(file));
    if (asksForHelp(named, given)) return void ctx.out.write(help());
    const words = parseDeployWords(given, environments, file);
    if (flags.to !== undefined && words.command !== 'revert') throw new DeployConfigError(`--to names the release to revert to: pmx deploy ${words.envName} revert --to <release|sha>`, { file, environment: words.envName ?? null, key: '--to' });
    if (flags.plan && !PLANNED.has(words.command)) throw new DeployConfigError(`--plan shows what deploy, setup and revert would do, not ${words.command}: pmx deploy ${words.envName} [setup | revert [n]] --plan`, { file, environment: words.envName ?? null, key: '--plan' });
    const select = { hosts: splitList(flags.hosts), roles: splitList(flags.roles) };
    const environment = await loadEnvironment({ file, envName: words.envName, parallel: count(flags.parallel, '--parallel', 1, file), rolling: rollingFlag(flags.rolling, file), select });
    const pick = flags.to ?? words.pick;
    const result = await runDeploy({ ...words, ...(pick !== undefined ? { pick } : {}), file, force: Boolean(flags.force) || force, select, rehearsal: Boolean(flags.plan), emit: view.emit, interruption }, environment);
    await view.finish({ command: result.command, environment: environment.name, outcomes: result.outcomes.map((outcome) => shownOutcome(outcome, result.mask.apply)), interrupted: result.interrupted, ramp: shownRamp(result.ramp, result.mask.apply) });
    if (result.interrupted) process.exitCode = interruptedExitCode(result.interrupted);
    else if (flags.plan ? !planned(result.outcomes) : !result.outcomes.every(serving)) process.exitCode = 1;
  } catch (error) {
    if (flags.json) ctx.out.write(`${JSON.stringify({ ok: false, error: errorJson(error) }, null, 2)}\n`);
    else reportError(error, ctx.err);
    process.exitCode = interruption.by ? interruptedExitCode(interruption.by) : 1;
  } finally {
    stopListening();
  }
}

// the first SIGINT/SIGTERM interrupts the run; the second quits now, saying what may be left
function listenForInterrupts(interruption: Interruption, err: NodeJS.WritableStream): () => void {
  const handler = (name: NodeJS.Signals) => (): void => {
    if (interruption.by === null) return interruption.request(name);
    const left = interruption.leftovers().map((line) => `[PMX]   ${printable(line)}`);
    err.write(`\n[PMX] ${name} again: quitting now, without waiting for the hosts. What may be left:\n${left.join('\n')}\n`);
    err.write('[PMX] a lock is free once its SSH session closes; the next deploy removes a prepared release left behind; `pmx deploy <env> list` shows what each host serves\n');
    interruption.quitting();
    process.exit(interruptedExitCode(interruption.by));
  };
  const onInt = handler('SIGINT');
  const onTerm = handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

function chooseView(ctx: CommandContext, flags: DeployFlags): DeployView {
  if (flags.json) return jsonView(ctx.out);
  const style = styleFor(ctx.color);
  return ctx.out.isTTY && process.env.TERM !== 'dumb' && !process.env.CI ? listrView(ctx.out, style) : plainView(ctx.out, style);
}

function isFile(word: string): boolean {
  const path = resolve(word);
  return existsSync(path) && statSync(path).isFile();
}

// `--rolling 2`, `--rolling 25%`, `--rolling 1,25%,100%`: the file's forms, checked the same way
function rollingFlag(value: string | undefined, file: string): Rolling | null | undefined {
  if (value === undefined) return undefined;
  return parseRollingFlag(value, (_key, expected) => {
    throw new DeployConfigError(`--rolling: expected ${expected}, got '${value}'`, { file, key: '--rolling' });
  });
}

// a bad count is the user's error (explained, no stack), as a bad --rolling is
function count(value: string | undefined, flag: string, min: number, file: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new DeployConfigError(`${flag} must be a whole number of at least ${min}, got '${value}'`, { file, key: flag });
  return number;
}
