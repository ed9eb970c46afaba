// An ecosystem file into validated AppSpecs: every app checked, and nothing returned unless all are
// valid (the API's start may ask for the apps whose script is missing to be left out instead).
import { basename, dirname, extname, relative, resolve } from 'node:path';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import { EcosystemError, combineErrors, describeValue } from './errors.js';
import { readEcosystemFile } from './load-file.js';
import { completeSpec, envNulProblem, readKeys, type Origin, type ReadContext } from './normalize.js';
import type { Draft } from './schema.js';
import { applyOverrides, readOverrides, type CliStartOptions } from './cli-options.js';
import { envNulVariable, parseEnv } from './values.js';
import { nameProblem } from '../../agent/protocol/limits.js';
import { parseJsonFile } from './parse-json.js';

/** How a file is loaded: the `--env`, `--only` and other flags given with it. */
export interface LoadOptions {
  /** `--env NAME`: deploy.NAME.env, then env, then env_NAME make each app's environment. */
  envName?: string;
  /** `--only a,b`: the names of the apps to keep. */
  only?: string[];
  /** The CLI's environment, the base of every app's env. */
  baseEnv: Record<string, string | undefined>;
  /** Flags given together with the file, applied over every app as PM2 applies them. */
  overrides?: CliStartOptions;
  /**
   * Where relative `script` and `cwd` resolve. The CLI passes the shell's directory, as PM2 does
   * (a file in a subfolder names scripts relative to where the command runs); default: the file's folder.
   */
  cwd?: string;
  /**
   * PM2's API starts the apps whose script is there and answers the others' errors: with this, an
   * app whose script is missing is left out and told in `missing` instead of failing the load.
   */
  skipMissingScripts?: boolean;
}

/** A loaded file: its apps (validated, complete), its raw deploy section, and what deserves a warning. */
export interface LoadedEcosystem {
  file: string;
  apps: AppSpec[];
  deploy: Record<string, unknown> | undefined;
  warnings: string[];
  /** The apps left out because their script is not there (only with `skipMissingScripts`). */
  missing: EcosystemError[];
}

/** Loads, validates and completes the apps of a file; throws one EcosystemError listing every problem found. */
export async function loadEcosystem(file: string, options: LoadOptions): Promise<LoadedEcosystem> {
  const path = resolve(file);
  const shown = relative(process.cwd(), path) || path;
  return loadContent(await readEcosystemFile(path, shown), path, shown, { ...options, cwd: options.cwd ?? dirname(path) });
}

/**
 * The names of a file's apps, for `stop` and `delete <file>`: read as for a start, but no script is
 * looked up, so a file whose scripts are gone (an old release removed) still stops and deletes the
 * apps it started, as PM2's does.
 */
export async function loadEcosystemNames(file: string, options: Pick<LoadOptions, 'envName' | 'only'>): Promise<string[]> {
  const path = resolve(file);
  const shown = relative(process.cwd(), path) || path;
  const { apps: rawApps } = splitContent(await readEcosystemFile(path, shown), path, shown);
  const problems: EcosystemError[] = [];
  const drafts = rawApps.map((raw, index) => readApp(raw, index, { path, shown, envName: options.envName, problems, warnings: [] }, {}));
  const selected = selectOnly(drafts, options.only, path, shown, problems);
  if (problems.length > 0) throw combineErrors(problems);
  // the last name is the one the app runs under (with append_env_to_name, the env's)
  return selected.flatMap((app) => app.names.slice(-1));
}

/** `pmx start -`: the apps of a configuration read on stdin (JSON, or a JS object literal as PM2 accepts). */
export async function loadEcosystemText(text: string, options: LoadOptions): Promise<LoadedEcosystem> {
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, 'stdin');
  return loadContent(parseJsonFile(text, path, 'stdin'), path, 'stdin', { ...options, cwd });
}

/** Apps given as a value (`pmx import pm2` builds them from PM2's dump); `source` names them in messages. */
export async function loadEcosystemValue(content: unknown, source: string, options: LoadOptions): Promise<LoadedEcosystem> {
  const cwd = options.cwd ?? process.cwd();
  return loadContent(content, resolve(cwd, source), source, { ...options, cwd });
}

async function loadContent(content: unknown, path: string, shown: string, options: LoadOptions & { cwd: string }): Promise<LoadedEcosystem> {
  const { apps: rawApps, deploy, warnings } = splitContent(content, path, shown);
  const { envName, baseEnv } = options;
  const problems: EcosystemError[] = [];
  const flags = options.overrides ? readOverrides(options.overrides, process.cwd(), warnings, problems) : {};
  const drafts = rawApps.map((raw, index) => readApp(raw, index, { path, shown, envName, problems, warnings }, flags));
  const selected = selectOnly(drafts, options.only, path, shown, problems);
  const deployEnv = envName ? deployEnvironment(deploy, envName, path, shown, problems) : undefined;
  const apps: AppSpec[] = [];
  // apps are completed (scripts looked up) only when every app reads well, and only those selected
  for (const { raw, draft, context } of problems.length === 0 ? selected : []) {
    const named = envName ? parseEnv(raw[`env_${envName}`]) : undefined;
    const namedEnv = named?.ok ? named.value : undefined;
    const spec = completeSpec(draft, { ...context, baseDir: options.cwd, baseEnv, envName, deployEnv, namedEnv });
    if (spec) apps.push(spec);
  }
  const missing = options.skipMissingScripts ? problems.filter((problem) => problem.code === 'SCRIPT_NOT_FOUND') : [];
  const fatal = problems.filter((problem) => !missing.includes(problem));
  if (fatal.length > 0) throw combineErrors(fatal);
  if (envName && rawApps.length > 0 && deployEnv === undefined && !rawApps.some((raw) => raw[`env_${envName}`] !== undefined)) {
    warnings.push(`${shown}: no app has \`env_${envName}\` (--env ${envName}); the apps start with their \`env\``);
  }
  return { file: path, apps, deploy, warnings, missing };
}

interface FileContext {
  path: string;
  shown: string;
  envName: string | undefined;
  problems: EcosystemError[];
  warnings: string[];
}

interface AppDraft {
  raw: Record<string, unknown>;
  draft: Draft;
  context: ReadContext;
  /** The names `--only` may use: the app's, and with append_env_to_name, the one with the env appended. */
  names: string[];
}

/** One app read with the flags applied over it; its problems are collected, not thrown. */
function readApp(raw: Record<string, unknown>, index: number, file: FileContext, flags: Draft): AppDraft {
  // a name with a control character is refused by its check; it must not forge lines in the labels meanwhile
  const named = typeof raw.name === 'string' && nameProblem(raw.name) === null ? raw.name : undefined;
  const label = `${file.shown}: ${named ? `app '${named}'` : `apps[${index}]`}`;
  const origin: Origin = { label, file: file.path, app: named, keyName: (key) => `\`${key}\`` };
  const context: ReadContext = { origin, problems: file.problems, warnings: file.warnings };
  const draft = applyOverrides(readKeys(raw, context), flags);
  const name = draft.name ?? (draft.script ? basename(draft.script, extname(draft.script)) : undefined);
  const names = name === undefined ? [] : [name];
  if (name !== undefined && file.envName && draft.append_env_to_name) names.push(`${name}-${file.envName}`);
  return { raw, draft, context, names };
}

/** The apps `--only` names; a name that matches no app is a problem. */
function selectOnly(drafts: AppDraft[], only: string[] | undefined, path: string, shown: string, problems: EcosystemError[]): AppDraft[] {
  if (!only || only.length === 0) return drafts;
  const unknown = only.filter((name) => !drafts.some(({ names }) => names.includes(name)));
  if (unknown.length > 0) {
    const known = drafts.map(({ names }) => names[0] ?? '?').join(', ');
    const message = `${shown}: --only names ${unknown.map((name) => `'${name}'`).join(', ')}, not an app of this file (apps: ${known})`;
    problems.push(new EcosystemError(message, { code: 'ONLY_UNKNOWN', file: path, key: 'only', value: unknown }));
  }
  return drafts.filter(({ names }) => names.some((name) => only.includes(name)));
}

type Content = { apps: Record<string, unknown>[]; deploy: Record<string, unknown> | undefined; warnings: string[] };

/**
 * The shapes PM2 accepts: `{ apps, deploy }` (`apps` an array or one object), the apps under a
 * top-level `pm2` key, a bare array of apps, or a single app. A `deploy` that is not an object of
 * environments matters only to `pmx deploy`: starting warns and goes on, as PM2 starts.
 */
function splitContent(content: unknown, file: string, shown: string): Content {
  const invalid = (what: string, value: unknown, key?: string): EcosystemError =>
    new EcosystemError(`${shown}: ${what}, got ${describeValue(value)}`, { code: 'ECOSYSTEM_INVALID', file, key, value });
  if (Array.isArray(content)) return { apps: content.map((app, index) => asApp(app, index, invalid)), deploy: undefined, warnings: [] };
  if (!content || typeof content !== 'object') throw invalid('expected an object with `apps` (or an array of apps)', content);
  const object = content as Record<string, unknown>;
  const warnings: string[] = [];
  let section: Record<string, unknown> | undefined;
  if (object.deploy !== undefined && (typeof object.deploy !== 'object' || object.deploy === null || Array.isArray(object.deploy))) {
    warnings.push(`${shown}: \`deploy\` is not an object of environments (${describeValue(object.deploy)}); it is left out (pmx deploy would refuse it)`);
  } else {
    section = object.deploy as Record<string, unknown> | undefined;
  }
  const listed = object.apps ?? object.pm2;
  if (listed === undefined) {
    if (object.script !== undefined) return { apps: [object], deploy: undefined, warnings };
    if (section) return { apps: [], deploy: section, warnings };
    throw invalid('expected an `apps` array (or a single app with `script`)', content);
  }
  const apps = Array.isArray(listed) ? listed : [listed];
  return { apps: apps.map((app, index) => asApp(app, index, invalid)), deploy: section, warnings };
}

function asApp(value: unknown, index: number, invalid: (what: string, value: unknown, key: string) => EcosystemError): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw invalid(`apps[${index}] must be an object`, value, `apps[${index}]`);
}

/** `deploy.<envName>.env`, which PM2 puts under every app's env. */
function deployEnvironment(deploy: Record<string, unknown> | undefined, envName: string, path: string, shown: string, problems: EcosystemError[]): Record<string, string> | undefined {
  const target = deploy?.[envName];
  if (!target || typeof target !== 'object') return undefined;
  const raw = (target as Record<string, unknown>).env;
  const env = parseEnv(raw);
  const nul = env.ok ? null : envNulVariable(raw);
  if (nul !== null) problems.push(envNulProblem({ label: shown, file: path, keyName: (key) => `\`${key}\`` }, `deploy.${envName}.env.${nul}`));
  return env.ok ? env.value : {};
}
