// The shape of one dump entry, checked before anything is started: an entry of the wrong shape
// (edited by hand, written by another tool) is an error naming the file, the entry and the key.
// Keys a dump written by an older pmx lacks take their defaults; the spec is checked as the
// socket checks one (rpc/spec-check.ts).
import { APP_DEFAULTS, type AppSpec } from './protocol/app-spec.js';
import { ProcessState, type PublicStatus } from './process/states.js';
import { AgentFault } from './fault.js';
import { badKey } from './rpc/spec-check.js';
import { MAX_INSTANCES, MAX_PM_ID } from './protocol/limits.js';

/** One saved process. */
export interface DumpEntry {
  pm_id: number;
  instance: number;
  status: PublicStatus;
  /** 'command': stopped by `pmx stop` (cron_restart leaves it); absent: at rest by its own exit, or running. */
  stopped_by?: 'command';
  spec: AppSpec;
}

const REQUIRED: readonly (keyof AppSpec)[] = ['name', 'script', 'cwd', 'env'];
const STATUSES: readonly string[] = Object.values(ProcessState).filter((status) => status !== ProcessState.REPLACING);

/** The entries of a dump read from `file`, checked; the first entry of the wrong shape is a DUMP_INVALID fault. */
export function checkDumpEntries(raw: unknown[], file: string): DumpEntry[] {
  return raw.map((entry, index) => checkEntry(entry, index, file));
}

function checkEntry(entry: unknown, index: number, file: string): DumpEntry {
  const fail = (key: string, expected: string, value: unknown): never => {
    const name = (entry as { spec?: { name?: unknown } } | null)?.spec?.name;
    // a name that could forge output (control characters) is left out of the message
    const which = `entry ${index}${typeof name === 'string' && !/[\u0000-\u001f\u007f]/.test(name) ? ` ('${name}')` : ''}`;
    // an env holds secrets: its values never reach a message, only what kind of thing was found
    const got = /^spec\.env/.test(key) ? kindOf(value) : describe(value);
    throw new AgentFault(`${file}: ${which}: ${key} must be ${expected}, got ${got}`, { code: 'DUMP_INVALID', file, key, data: { file, entry: index, key } });
  };
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return fail('the entry', 'an object', entry);
  const { pm_id, instance, status, spec } = entry as Record<string, unknown>;
  // bounded: ids are counted up from the highest, and past 2^53 two of them would be one number
  if (!Number.isInteger(pm_id) || (pm_id as number) < 0 || (pm_id as number) > MAX_PM_ID) fail('pm_id', `an integer from 0 to ${MAX_PM_ID}`, pm_id);
  if (!Number.isInteger(instance) || (instance as number) < 0 || (instance as number) >= MAX_INSTANCES) fail('instance', `an integer from 0 to ${MAX_INSTANCES - 1}`, instance);
  if (!STATUSES.includes(status as string)) fail('status', `one of ${STATUSES.join(', ')}`, status);
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return fail('spec', 'an object', spec);
  const given = spec as Record<string, unknown>;
  for (const key of REQUIRED) if (!(key in given)) fail(`spec.${key}`, 'present', undefined);
  const full = { ...APP_DEFAULTS, ...given } as Record<string, unknown>;
  const bad = badKey(full);
  if (bad) fail(`spec.${bad.key}`, bad.expected, full[bad.key]);
  const stoppedBy = (entry as Record<string, unknown>).stopped_by;
  if (stoppedBy !== undefined && stoppedBy !== 'command') fail('stopped_by', "'command' or absent", stoppedBy);
  return { pm_id: pm_id as number, instance: instance as number, status: status as PublicStatus, ...(stoppedBy === 'command' ? { stopped_by: 'command' as const } : {}), spec: full as unknown as AppSpec };
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
