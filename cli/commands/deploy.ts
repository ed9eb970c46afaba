// `pmx deploy [file] <environment> [command] [args]`: parse the words as PM2 does, run the
// command on every host, show it (listr2 on a terminal, plain lines elsewhere, --json), and exit
// non-zero when any host did not succeed.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { styleFor } from '../output/style.js';
import { parseDeployWords, splitFile } from '../deploy/args.js';
import { listEnvironments } from '../deploy/config.js';
import { succeeded } from '../deploy/events.js';
import { deployFile, readDeploySection } from '../deploy/load-deploy.js';
import { jsonView } from '../deploy/output/json-view.js';
import { listrView } from '../deploy/output/listr-view.js';
import { plainView } from '../deploy/output/plain-view.js';
import type { DeployView } from '../deploy/output/view.js';
import { loadEnvironment, runDeploy } from '../deploy/run.js';
import { isEcosystemFile } from '../ecosystem/find.js';
import type { CommandContext } from './context.js';

/** Flags of `pmx deploy`, as commander gives them. */
export interface DeployFlags {
  force?: boolean;
  json?: boolean;
  parallel?: string;
  rolling?: string;
}

/** Runs `pmx deploy <args>`; sets process.exitCode to 1 when any host failed. */
export async function deploy(ctx: CommandContext, args: string[], flags: DeployFlags): Promise<void> {
  const view = chooseView(ctx, flags);
  try {
    const { file: named, rest } = splitFile(args, (word) => isEcosystemFile(word) && isFile(word));
    const file = deployFile(named, process.cwd());
    const words = parseDeployWords(rest, listEnvironments(await readDeploySection(file)), file);
    const environment = await loadEnvironment({ file, envName: words.envName, parallel: count(flags.parallel, '--parallel', 1), rolling: count(flags.rolling, '--rolling', 0) });
    const result = await runDeploy({ ...words, file, force: Boolean(flags.force), emit: view.emit }, environment);
    await view.finish({ command: result.command, environment: environment.name, outcomes: result.outcomes });
    if (!result.outcomes.every(succeeded)) process.exitCode = 1;
  } catch (error) {
    const { name, code, message, hint } = error as { name?: string; code?: unknown; message?: string; hint?: string | null };
    if (flags.json) {
      ctx.out.write(`${JSON.stringify({ ok: false, error: { code: typeof code === 'string' ? code : 'ERROR', message: message ?? String(error), hint: hint ?? null } }, null, 2)}\n`);
    } else if (name !== undefined && EXPLAINED.has(name)) {
      ctx.err.write(`[PMX][ERROR] ${message}\n${hint ? `[PMX] ${hint}\n` : ''}`);
    } else {
      throw error;
    }
    process.exitCode = 1;
  }
}

/** Errors whose message is written for users (no stack trace). */
const EXPLAINED = new Set(['DeployConfigError', 'DeployStepError', 'EcosystemError', 'TransportError']);

function chooseView(ctx: CommandContext, flags: DeployFlags): DeployView {
  if (flags.json) return jsonView(ctx.out);
  const style = styleFor(ctx.color);
  return ctx.out.isTTY && process.env.TERM !== 'dumb' && !process.env.CI ? listrView(ctx.out, style) : plainView(ctx.out, style);
}

function isFile(word: string): boolean {
  const path = resolve(word);
  return existsSync(path) && statSync(path).isFile();
}

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new Error(`${flag} must be a whole number of at least ${min}, got '${value}'`);
  return number;
}
