// OpenSSH host patterns as ~/.ssh/config `Host` lines and known_hosts entries read them: `*` and `?`
// globs ignoring case, a matching negated pattern rejects, and one positive match is needed.
import { describe, expect, it } from 'vitest';
import { globMatch, hostPatternsMatch } from '../../../cli/transport/host-patterns.js';

describe('globMatch', () => {
  it.each([
    ['web.example', 'web.example', true],
    ['WEB.Example', 'web.example', true],
    ['*', 'anything.at.all', true],
    ['*.example', 'web.example', true],
    ['*.example', 'example', false],
    ['web?.example', 'web1.example', true],
    ['web?.example', 'web12.example', false],
    ['web.', 'webx', false],
    ['10.0.0.*', '10.0.0.5', true],
    ['10.0.0.*', '10.0.1.5', false],
    ['[10.0.0.5]:2222', '[10.0.0.5]:2222', true],
    ['[10.0.0.*]:2222', '[10.0.0.5]:2222', true],
    ['[10.0.0.5]:2222', '10.0.0.5', false],
    ['a+b(c)|d$', 'a+b(c)|d$', true],
    ['a+b', 'aab', false],
    ['config.d-*', 'config.d-work', true],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(globMatch(glob, name)).toBe(expected);
  });
});

describe('hostPatternsMatch', () => {
  it.each([
    [['web.example'], 'web.example', true],
    [['db.example', 'web.example'], 'web.example', true],
    [['db.example'], 'web.example', false],
    [['*.internal', '!secret.internal'], 'app.internal', true],
    [['*.internal', '!secret.internal'], 'secret.internal', false],
    [['!secret.internal', '*.internal'], 'secret.internal', false],
    [['!*.example', '*'], 'web.example', false],
    [['!secret.internal'], 'other.internal', false],
    [['!secret.internal'], 'secret.internal', false],
    [['*', '!bastion'], 'web1', true],
    [['*', '!BASTION'], 'bastion', false],
    [[], 'web.example', false],
  ])('%j against %s: %s', (patterns, name, expected) => {
    expect(hostPatternsMatch(patterns, name)).toBe(expected);
  });
});
