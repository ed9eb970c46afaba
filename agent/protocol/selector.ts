// Which processes a command's target names, in one place for the agent (which acts on them) and
// the CLI (which lists, describes and tails them): `pmx logs '/^api/'` and `pmx stop '/^api/'`
// select the same processes. Pure: the file system is asked through `PathLookup`.
import { PmxError } from './errors.js';
import type { Selector } from './types.js';

/** What a selector looks at in a process, however it is held (supervised by the agent, or listed). */
export interface Selectable {
  id: number;
  name: string;
  namespace: string;
  /** The script's absolute path. */
  script: string;
}

/** How a target word is told apart from a file: `/x/` is a regular expression unless such a file exists. */
export interface PathLookup {
  exists(path: string): boolean;
  resolve(path: string): string;
}

/** A target word that selects nothing sensible (an invalid regular expression). */
export class InvalidTarget extends PmxError<'INVALID_TARGET'> {
  constructor(message: string) {
    super(message, { code: 'INVALID_TARGET' });
    this.name = 'InvalidTarget';
  }
}

/**
 * The selector for one target word: `all`, an id, `/regex/flags`, or a name, which also names the
 * processes that run that script path and, when no process has that name, a namespace (as in PM2).
 */
export function parseTarget(target: string, paths: PathLookup): Selector {
  if (target === 'all') return { kind: 'all' };
  if (/^\d+$/.test(target)) return { kind: 'id', id: Number(target) };
  const regex = /^\/(.+)\/([dgimsuy]*)$/.exec(target);
  if (regex && !paths.exists(target)) {
    const problem = regexProblem(regex[1]!, regex[2]!);
    if (problem) throw new InvalidTarget(`invalid regular expression ${target}: ${problem}`);
    return { kind: 'regex', source: regex[1]!, flags: regex[2]!.replace('g', '') };
  }
  return { kind: 'name', name: target, path: paths.resolve(target) };
}

/** Why a value received as a selector is not one, or null when it is. */
export function selectorProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a selector object is required';
  const s = value as Record<string, unknown>;
  const string = (v: unknown): v is string => typeof v === 'string' && !v.includes('\0');
  switch (s.kind) {
    case 'all':
      return null;
    case 'id':
      return Number.isInteger(s.id) ? null : 'selector.id must be a whole number';
    case 'name':
      return !string(s.name) ? 'selector.name must be a string' : s.path === undefined || string(s.path) ? null : 'selector.path must be a string';
    case 'names':
      return Array.isArray(s.names) && s.names.every(string) ? null : 'selector.names must be an array of strings';
    case 'namespace':
      return string(s.namespace) ? null : 'selector.namespace must be a string';
    case 'regex': {
      if (!string(s.source) || !string(s.flags)) return 'selector.source and selector.flags must be strings';
      const problem = regexProblem(s.source, s.flags);
      return problem ? `invalid regular expression /${s.source}/: ${problem}` : null;
    }
    default:
      return "selector.kind must be 'all', 'id', 'name', 'names', 'namespace' or 'regex'";
  }
}

/** The items `selector` selects among `all`, in their order; `view` says what each one is. */
export function matchSelector<T>(all: readonly T[], selector: Selector, view: (item: T) => Selectable): T[] {
  switch (selector.kind) {
    case 'all':
      return [...all];
    case 'id': {
      // PM2's order for a number: the app of that name (an app named after its port), then the
      // namespace, and only then the process of that id
      const word = String(selector.id);
      const byName = all.filter((item) => view(item).name === word);
      if (byName.length > 0) return byName;
      const byNamespace = all.filter((item) => view(item).namespace === word);
      return byNamespace.length > 0 ? byNamespace : all.filter((item) => view(item).id === selector.id);
    }
    case 'name': {
      // as in PM2, a script's path names the processes that run it (`pmx stop app.js`)
      const byName = all.filter((item) => {
        const { name, script } = view(item);
        return name === selector.name || (selector.path !== undefined && script === selector.path);
      });
      return byName.length > 0 ? byName : all.filter((item) => view(item).namespace === selector.name);
    }
    case 'names':
      return all.filter((item) => selector.names.includes(view(item).name));
    case 'namespace':
      return all.filter((item) => view(item).namespace === selector.namespace);
    case 'regex': {
      const pattern = new RegExp(selector.source, selector.flags);
      return all.filter((item) => pattern.test(view(item).name));
    }
  }
}

/** Words for a selector in a message (`no process matches name or namespace 'api'`). */
export function describeSelector(selector: Selector): string {
  switch (selector.kind) {
    case 'all':
      return 'all';
    case 'id':
      return `id ${selector.id}`;
    case 'name':
      return `name or namespace '${selector.name}'`;
    case 'names':
      return `names ${selector.names.map((name) => `'${name}'`).join(', ')}`;
    case 'namespace':
      return `namespace '${selector.namespace}'`;
    case 'regex':
      return `/${selector.source}/${selector.flags}`;
  }
}

function regexProblem(source: string, flags: string): string | null {
  try {
    new RegExp(source, flags);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
