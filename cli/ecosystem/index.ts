// Ecosystem files and `pmx start` flags into validated AppSpecs: the only way apps reach the agent.
import { dirname, relative, resolve } from 'node:path';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import { EcosystemError, describeValue } from './errors.js';
import { readEcosystemFile } from './load-file.js';
import { completeSpec, readKeys, type Origin } from './normalize.js';
import { CLI_ORIGIN, OVERRIDE_FLAGS, flagsToKeys, type CliStartOptions } from './cli-options.js';

export { EcosystemError } from './errors.js';
export { isEcosystemFile, findEcosystemFile } from './find.js';
export type { CliStartOptions } from './cli-options.js';

export interface LoadOptions {
  /** `--env NAME`: env_NAME is merged over env. */
  envName?: string;
  /** `--only a,b`. */
  only?: string[];
  /** The CLI's environment, the base of every app's env. */
  baseEnv: Record<string, string | undefined>;
  /** Flags given together with the file, applied over every app. */
  overrides?: CliStartOptions;
}

export interface LoadedEcosystem {
  file: string;
  apps: AppSpec[];
  deploy: Record<string, unknown> | undefined;
  warnings: string[];
}

/** Loads, validates and completes every app of a file; nothing is returned unless all are valid. */
export async function loadEcosystem(file: string, options: LoadOptions): Promise<LoadedEcosystem> {
  const path = resolve(file);
  const shown = relative(process.cwd(), path) || path;
  const content = await readEcosystemFile(path);
  const { apps: rawApps, deploy } = splitContent(content, shown);
  const warnings: string[] = [];
  const overrides = options.overrides ? flagsToKeys(options.overrides, OVERRIDE_FLAGS) : {};
  const apps = rawApps.map((raw, index) => {
    const label = typeof raw.name === 'string' ? `app '${raw.name}'` : `apps[${index}]`;
    const origin: Origin = { label: `${shown}: ${label}`, file: path, app: typeof raw.name === 'string' ? raw.name : undefined, keyName: (key) => `\`${key}\`` };
    const draft = readKeys({ ...raw, ...overrides }, origin, options.envName, warnings);
    return completeSpec(draft, origin, dirname(path), options.baseEnv);
  });
  const envName = options.envName;
  if (envName && rawApps.length > 0 && !rawApps.some((raw) => raw[`env_${envName}`] !== undefined)) {
    warnings.push(`${shown}: no app has \`env_${envName}\` (--env ${envName})`);
  }
  return { file: path, apps: selectOnly(apps, options.only, shown), deploy, warnings };
}

/** The spec for `pmx start <script> [flags] -- args`. */
export function specFromCli(script: string, flags: CliStartOptions, args: string[], baseEnv: Record<string, string | undefined>, cwd: string): AppSpec {
  const raw = { ...flagsToKeys(flags), script, ...(args.length > 0 ? { args } : {}) };
  const draft = readKeys(raw, CLI_ORIGIN, undefined, []);
  return completeSpec(draft, CLI_ORIGIN, cwd, baseEnv);
}

function splitContent(content: unknown, file: string): { apps: Record<string, unknown>[]; deploy: Record<string, unknown> | undefined } {
  const invalid = (what: string, value: unknown): EcosystemError =>
    new EcosystemError('ECOSYSTEM_INVALID', `${file}: ${what}, got ${describeValue(value)}`, { file, value });
  if (Array.isArray(content)) return { apps: content.map((app, i) => asApp(app, i, file)), deploy: undefined };
  if (!content || typeof content !== 'object') throw invalid('expected an object with `apps` (or an array of apps)', content);
  const object = content as Record<string, unknown>;
  const deploy = object.deploy;
  if (deploy !== undefined && (typeof deploy !== 'object' || deploy === null || Array.isArray(deploy))) {
    throw new EcosystemError('ECOSYSTEM_INVALID', `${file}: \`deploy\` must be an object of environments, got ${describeValue(deploy)}`, { file, key: 'deploy' });
  }
  const deploySection = deploy as Record<string, unknown> | undefined;
  if (object.apps === undefined) {
    if (typeof object.script === 'string') return { apps: [object], deploy: undefined };
    if (deploySection) return { apps: [], deploy: deploySection };
    throw invalid('expected an `apps` array (or a single app with `script`)', content);
  }
  const apps = Array.isArray(object.apps) ? object.apps : [object.apps];
  return { apps: apps.map((app, i) => asApp(app, i, file)), deploy: deploySection };
}

function asApp(value: unknown, index: number, file: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new EcosystemError('ECOSYSTEM_INVALID', `${file}: apps[${index}] must be an object, got ${describeValue(value)}`, { file, key: `apps[${index}]` });
}

function selectOnly(apps: AppSpec[], only: string[] | undefined, file: string): AppSpec[] {
  if (!only || only.length === 0) return apps;
  const names = new Set(apps.map((app) => app.name));
  const unknown = only.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new EcosystemError('ONLY_UNKNOWN', `${file}: --only names ${unknown.map((n) => `'${n}'`).join(', ')}, not in the file (apps: ${[...names].join(', ')})`, { file, key: 'only' });
  }
  return apps.filter((app) => only.includes(app.name));
}
