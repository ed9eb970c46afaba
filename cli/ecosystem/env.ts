// An app's environment, layered as PM2 layers it: the shell's (minus `filter_env`), then
// deploy.<env>.env, the app's `env` (with `port` as PORT), and last `env_<name>`.

/** The sources of an app's environment, lowest priority first. */
export interface EnvLayers {
  /** The CLI's environment; undefined values are dropped. */
  shell: Record<string, string | undefined>;
  /** `deploy.<envName>.env`, when `--env` names a deploy target that has one. */
  deploy?: Record<string, string>;
  /** The app's `env`. */
  app?: Record<string, string>;
  /** PM2's `port` key. */
  port?: string;
  /** The app's `env_<envName>`. */
  named?: Record<string, string>;
  filter?: boolean | string | string[];
  /** Python buffers its output when it is not a terminal; PM2 sets PYTHONUNBUFFERED for it. */
  python?: boolean;
}

/** `env`: everything the app starts with; `app_env`: the part the app declared, which `--update-env` keeps. */
export function appEnvironment(layers: EnvLayers): { env: Record<string, string>; app_env: Record<string, string> } {
  const app_env: Record<string, string> = {
    ...layers.deploy,
    ...layers.app,
    ...(layers.port === undefined ? {} : { PORT: layers.port }),
    ...layers.named,
  };
  if (layers.python && app_env.PYTHONUNBUFFERED === undefined) app_env.PYTHONUNBUFFERED = '1';
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(layers.shell)) {
    // a pmx run from an app's own shell does not pass on that app's launch marker (marked.ts)
    if (value !== undefined && !filtered(name, layers.filter) && name !== 'PMX_LAUNCH') env[name] = value;
  }
  return { env: Object.assign(env, app_env), app_env };
}

/**
 * What `filter_env: true` keeps of the shell: the variables systemd gives every service, which a
 * process expects to find (a `git` or `npm` it runs is looked up on PATH, its config under HOME).
 * PM2 7 means true to drop everything but in fact drops nothing (its check reads `true.length`);
 * pmx drops the rest.
 */
const SERVICE_BASE: ReadonlySet<string> = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG']);

/** PM2's `filter_env`: true drops every shell variable but a service's base, a name drops it, a list drops the names containing one. */
function filtered(name: string, filter: boolean | string | string[] | undefined): boolean {
  if (filter === true) return !SERVICE_BASE.has(name);
  if (typeof filter === 'string') return name === filter;
  if (!Array.isArray(filter)) return false;
  return filter.some((part) => part !== '' && name.includes(part));
}
