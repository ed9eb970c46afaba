// Validation of each request before its handler runs: the method must be one of ours (never a
// name inherited from Object.prototype), and its params an object of the documented shape.
import type { Method, Methods } from '../protocol/types.js';
import { AgentFault } from '../fault.js';
import { hasNul } from '../protocol/limits.js';
import { SPEC_KEYS, specProblem } from './spec-check.js';
import { RESPEC_FORBIDDEN } from '../protocol/app-spec.js';
import { selectorProblem } from '../protocol/selector.js';

type Params = Record<string, unknown>;
/** Returns why the params are wrong, or null. */
type ParamsCheck = (params: Params) => string | null;

const none: ParamsCheck = () => null;
const string = (value: unknown): boolean => typeof value === 'string' && !hasNul(value);
const optionalBool = (value: unknown): boolean => value === undefined || typeof value === 'boolean';
const optionalEnv = (value: unknown): boolean =>
  value === undefined ||
  (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.entries(value).every(([key, item]) => string(key) && key !== '__proto__' && string(item)));

const selector: ParamsCheck = ({ selector }) => selectorProblem(selector);

/**
 * restart/reload `options`: app keys a restart may change (never the name, script, namespace or
 * mode: those make another app), each of the right kind (checked with the rest of a spec).
 */
function optionsProblem(options: unknown): string | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return 'options must be an object of app options';
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(SPEC_KEYS, key) || RESPEC_FORBIDDEN.has(key)) return `options may not set ${JSON.stringify(key)}`;
    const expected = SPEC_KEYS[key as keyof typeof SPEC_KEYS]((options as Record<string, unknown>)[key]);
    if (expected !== null) return `options.${key} must be ${expected}`;
  }
  return null;
}

const CHECKS: { [M in Method]: ParamsCheck } = {
  hello: ({ protocol }) => (typeof protocol === 'number' ? null : 'protocol must be a number'),
  list: ({ brief }) => (optionalBool(brief) ? null : 'brief must be true or false'),
  start: ({ apps, mode, updateEnv, given }) => {
    if (!Array.isArray(apps)) return 'apps must be an array of app specs';
    if (!['start', 'startOrRestart', 'startOrReload', 'force'].includes(mode as string)) return "mode must be 'start', 'startOrRestart', 'startOrReload' or 'force'";
    if (!optionalBool(updateEnv)) return 'updateEnv must be true or false';
    if (given !== undefined && !(Array.isArray(given) && given.every((key) => typeof key === 'string' && Object.hasOwn(SPEC_KEYS, key)))) return 'given must be an array of app spec keys';
    for (const [index, app] of apps.entries()) {
      const problem = specProblem(app, index);
      if (problem) return problem;
    }
    return null;
  },
  stop: (params) => selector(params) ?? (optionalBool(params.watch) ? null : 'watch must be true or false'),
  restart: (params) => selector(params) ?? (optionalEnv(params.env) ? null : 'env must be an object of string variables') ?? optionsProblem(params.options),
  reload: (params) =>
    selector(params) ??
    (optionalEnv(params.env) ? null : 'env must be an object of string variables') ??
    optionsProblem(params.options) ??
    (params.parallel === undefined || (Number.isInteger(params.parallel) && (params.parallel as number) >= 1) ? null : 'parallel must be a whole number of at least 1'),
  delete: selector,
  reset: selector,
  scale: ({ name, count }) =>
    !string(name) ? 'name must be a string' : string(count) || Number.isInteger(count) ? null : 'count must be a number, +n or -n',
  signal: (params) => selector(params) ?? (string(params.signal) ? null : 'signal must be a string'),
  dashboard: none, // host and port are checked where the dashboard is opened
  save: ({ force }) => (optionalBool(force) ? null : 'force must be true or false'),
  resurrect: none,
  flush: (params) => (params.selector === null || params.selector === undefined ? null : selector(params)),
  reloadLogs: none,
  kill: ({ restart }) => (optionalBool(restart) ? null : 'restart must be true or false'),
  metrics: none, // its actions are checked by its handler
  subscribe: none,
  sendData: ({ id, packet }) => (!Number.isInteger(id) ? 'id must be a whole number' : packet === null || typeof packet !== 'object' || Array.isArray(packet) ? 'packet must be an object' : null),
};

/** True when `method` is a method of the protocol (own key, so `constructor` or `__proto__` never is). */
export function isMethod(method: unknown): method is Method {
  return typeof method === 'string' && Object.hasOwn(CHECKS, method);
}

/** The params of a request to `method`, or an INVALID_REQUEST fault saying what is wrong. */
export function checkParams<M extends Method>(method: M, params: unknown): Methods[M]['params'] {
  if (params === undefined) params = {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new AgentFault(`${method}: params must be an object, got ${params === null ? 'null' : Array.isArray(params) ? 'an array' : typeof params}`, { code: 'INVALID_REQUEST' });
  }
  const problem = CHECKS[method](params as Params);
  if (problem) throw new AgentFault(`${method}: ${problem}`, { code: 'INVALID_REQUEST', data: { method } });
  return params as Methods[M]['params'];
}

