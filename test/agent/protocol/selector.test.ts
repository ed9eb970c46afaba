// The one rule for what a target word selects, as a table: parsing, matching and checking.
import { describe, expect, it } from 'vitest';
import { InvalidTarget, describeSelector, matchSelector, parseTarget, selectorProblem, type Selectable } from '../../../agent/protocol/selector.js';
import type { Selector } from '../../../agent/protocol/types.js';

const files = new Set(['/srv/api.js', '/srv/odd/x/']);
const paths = { exists: (path: string) => files.has(path), resolve: (path: string) => (path.startsWith('/') ? path : `/srv/${path}`) };

const PROCS: Selectable[] = [
  { id: 0, name: 'api', namespace: 'web', script: '/srv/api.js' },
  { id: 1, name: 'api', namespace: 'web', script: '/srv/api.js' },
  { id: 2, name: 'worker', namespace: 'jobs', script: '/srv/worker.js' },
  { id: 3, name: 'web', namespace: 'default', script: '/srv/web.js' },
  { id: 4, name: 'cron', namespace: 'jobs', script: '/srv/api.js' },
];
const ids = (selector: Selector): number[] => matchSelector(PROCS, selector, (proc) => proc).map((proc) => proc.id);

describe('parseTarget', () => {
  const cases: [string, Selector][] = [
    ['all', { kind: 'all' }],
    ['3', { kind: 'id', id: 3 }],
    ['/^api/', { kind: 'regex', source: '^api', flags: '' }],
    ['/API/gi', { kind: 'regex', source: 'API', flags: 'i' }],
    ['/srv/odd/x/', { kind: 'name', name: '/srv/odd/x/', path: '/srv/odd/x/' }],
    ['api', { kind: 'name', name: 'api', path: '/srv/api' }],
    ['api.js', { kind: 'name', name: 'api.js', path: '/srv/api.js' }],
  ];
  it.each(cases)('%s', (word, selector) => expect(parseTarget(word, paths)).toEqual(selector));

  it('refuses an invalid regular expression, naming it', () => {
    expect(() => parseTarget('/(/', paths)).toThrow(InvalidTarget);
    expect(() => parseTarget('/(/', paths)).toThrow(/invalid regular expression \/\(\/: /);
  });
});

describe('matchSelector', () => {
  const cases: [string, Selector, number[]][] = [
    ['all', { kind: 'all' }, [0, 1, 2, 3, 4]],
    ['an id', { kind: 'id', id: 2 }, [2]],
    ['an id no process has', { kind: 'id', id: 9 }, []],
    ['a name: every process of it', { kind: 'name', name: 'api' }, [0, 1]],
    ['a script path: every process running it', { kind: 'name', name: 'api.js', path: '/srv/api.js' }, [0, 1, 4]],
    ['a name no process has, that is a namespace', { kind: 'name', name: 'jobs' }, [2, 4]],
    ['a name that is a process name and a namespace: the name wins', { kind: 'name', name: 'web' }, [3]],
    ['a name that is neither', { kind: 'name', name: 'nope' }, []],
    ['names', { kind: 'names', names: ['worker', 'web'] }, [2, 3]],
    ['a namespace', { kind: 'namespace', namespace: 'web' }, [0, 1]],
    ['a regular expression on names', { kind: 'regex', source: '^w', flags: '' }, [2, 3]],
    ['a regular expression with flags', { kind: 'regex', source: 'API', flags: 'i' }, [0, 1]],
  ];
  it.each(cases)('%s', (_, selector, expected) => expect(ids(selector)).toEqual(expected));
});

describe('selectorProblem', () => {
  const cases: [unknown, string | null][] = [
    [{ kind: 'all' }, null],
    [{ kind: 'name', name: 'api', path: '/srv/api.js' }, null],
    [null, 'a selector object is required'],
    [[], 'a selector object is required'],
    ['api', 'a selector object is required'],
    [{ kind: 'constructor' }, "selector.kind must be 'all', 'id', 'name', 'names', 'namespace' or 'regex'"],
    [{ kind: 'id', id: 1.5 }, 'selector.id must be a whole number'],
    [{ kind: 'name', name: 'a\0b' }, 'selector.name must be a string'],
    [{ kind: 'name', name: 'a', path: 3 }, 'selector.path must be a string'],
    [{ kind: 'names', names: ['a', 1] }, 'selector.names must be an array of strings'],
    [{ kind: 'namespace' }, 'selector.namespace must be a string'],
    [{ kind: 'regex', source: '(', flags: '' }, expect.stringMatching(/^invalid regular expression \/\(\/: /)],
  ];
  it.each(cases)('%j', (value, problem) => expect(selectorProblem(value)).toEqual(problem));
});

it('describeSelector names what was asked for', () => {
  expect(describeSelector({ kind: 'name', name: 'api' })).toBe("name or namespace 'api'");
  expect(describeSelector({ kind: 'regex', source: '^a', flags: 'i' })).toBe('/^a/i');
  expect(describeSelector({ kind: 'names', names: ['a', 'b'] })).toBe("names 'a', 'b'");
});
