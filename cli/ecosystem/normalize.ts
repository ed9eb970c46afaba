// One app of an ecosystem file (or the flags of `pmx start`) into a complete, validated AppSpec.
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { resolveHome } from '../../agent/protocol/home.js';
import { APP_DEFAULTS, type AppSpec } from '../../agent/protocol/app-spec.js';
import { APP_KEYS, type Draft } from './schema.js';
import { EcosystemError, describeValue } from './errors.js';
import { interpreterFor, locateScript, packageVersion } from './resolve-script.js';
import { nearest } from './suggest.js';

/** Where an app comes from, for messages: a file and app, or the command line. */
export interface Origin {
  /** 'ecosystem.config.js: app 'api'' or 'pmx start' */
  label: string;
  file?: string;
  app?: string;
  /** How a key is called in messages: `instances` in a file, `--instances` on the command line. */
  keyName: (key: string) => string;
}

/** Reads the known keys of `raw` into a draft; unknown keys become warnings with a suggestion. */
export function readKeys(raw: Record<string, unknown>, origin: Origin, envName: string | undefined, warnings: string[]): Draft {
  const draft: Draft = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (key.startsWith('env_')) continue; // env_<name> is merged over env below, when --env names it
    const reader = APP_KEYS[key];
    if (!reader) {
      const suggestion = nearest(key, Object.keys(APP_KEYS));
      warnings.push(`${origin.label}: unknown key \`${key}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ''}`);
      continue;
    }
    const parsed = reader(value, draft);
    if (!parsed.ok) {
      throw new EcosystemError('ECOSYSTEM_INVALID', `${origin.label}: ${origin.keyName(key)} must be ${parsed.expected}, got ${describeValue(value)}`, {
        file: origin.file,
        app: origin.app,
        key,
        value,
      });
    }
  }
  // PM2's `port` key sets PORT for the app
  if (raw.port !== undefined) draft.env = { PORT: String(raw.port), ...draft.env };
  if (envName !== undefined && raw[`env_${envName}`] !== undefined) {
    const reader = APP_KEYS.env!;
    const scratch: Draft = {};
    const parsed = reader(raw[`env_${envName}`], scratch);
    if (!parsed.ok) {
      throw new EcosystemError('ECOSYSTEM_INVALID', `${origin.label}: env_${envName} must be ${parsed.expected}, got ${describeValue(raw[`env_${envName}`])}`, {
        file: origin.file,
        app: origin.app,
        key: `env_${envName}`,
      });
    }
    draft.env = { ...draft.env, ...scratch.env };
  }
  return draft;
}

/** Completes a draft: paths resolved against `baseDir`, defaults applied, environment merged. */
export function completeSpec(draft: Draft, origin: Origin, baseDir: string, baseEnv: Record<string, string | undefined>): AppSpec {
  if (!draft.script) {
    throw new EcosystemError('ECOSYSTEM_INVALID', `${origin.label}: ${origin.keyName('script')} is required (the file or command to run)`, {
      file: origin.file,
      app: origin.app,
      key: 'script',
    });
  }
  const cwd = draft.cwd ? resolve(baseDir, draft.cwd) : baseDir;
  const interpreter = draft.interpreter ?? interpreterFor(draft.script);
  const script = locateScript(draft.script, cwd);
  if (!script) {
    throw new EcosystemError('SCRIPT_NOT_FOUND', `${origin.label}: script '${draft.script}' not found (looked in ${cwd}${draft.script.includes('/') ? '' : ' and on PATH'})`, {
      file: origin.file,
      app: origin.app,
      key: 'script',
      value: draft.script,
    });
  }
  const declared = draft.env ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnv)) if (value !== undefined) env[name] = value;
  Object.assign(env, declared);
  const name = draft.name ?? basename(draft.script, extname(draft.script));
  const instances = draft.instances ?? APP_DEFAULTS.instances;
  const exec_mode = draft.exec_mode ?? (instances > 1 && interpreter === 'node' ? 'cluster_mode' : APP_DEFAULTS.exec_mode);
  return {
    ...APP_DEFAULTS,
    ...draft,
    name,
    script,
    cwd,
    interpreter,
    env,
    app_env: declared,
    instances,
    exec_mode,
    out_file: logPath(draft.out_file, cwd),
    error_file: logPath(draft.error_file, cwd),
    log_file: draft.log_file === 'default' ? join(resolveHome(baseEnv).logs, `${name}.log`) : logPath(draft.log_file, cwd),
    version: packageVersion(cwd),
  };
}

function logPath(path: string | null | undefined, cwd: string): string | null {
  if (!path) return null;
  if (path === '/dev/null' || isAbsolute(path)) return path;
  return resolve(cwd, path);
}
