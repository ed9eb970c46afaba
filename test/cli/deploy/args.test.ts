// `pmx deploy` words as PM2 reads them: optional file, optional environment, commands and refs.
import { describe, expect, it } from 'vitest';
import { asksForHelp, parseDeployWords, splitFile } from '../../../cli/deploy/args.js';
import { DeployConfigError } from '../../../cli/deploy/errors.js';

const both = ['production', 'staging'];

describe('pmx deploy arguments', () => {
  it('take a leading ecosystem file, or none', () => {
    const isFile = (word: string): boolean => word.endsWith('.config.js');
    expect(splitFile(['ecosystem.config.js', 'production', 'setup'], isFile)).toEqual({ file: 'ecosystem.config.js', rest: ['production', 'setup'] });
    expect(splitFile(['production'], isFile)).toEqual({ file: null, rest: ['production'] });
  });

  it('deploy the configured ref by default, or update, or a ref named', () => {
    expect(parseDeployWords(['production'], both, 'f')).toEqual({ envName: 'production', command: 'deploy' });
    expect(parseDeployWords(['production', 'update'], both, 'f')).toEqual({ envName: 'production', command: 'deploy' });
    expect(parseDeployWords(['production', 'ref', 'v1.2'], both, 'f')).toEqual({ envName: 'production', command: 'deploy', ref: 'v1.2' });
    expect(parseDeployWords(['production', 'origin/hotfix'], both, 'f')).toEqual({ envName: 'production', command: 'deploy', ref: 'origin/hotfix' });
  });

  it("read PM2's commands and aliases", () => {
    expect(parseDeployWords(['staging', 'setup'], both, 'f').command).toBe('setup');
    expect(parseDeployWords(['staging', 'current'], both, 'f').command).toBe('curr');
    expect(parseDeployWords(['staging', 'previous'], both, 'f').command).toBe('prev');
    expect(parseDeployWords(['staging', 'list'], both, 'f').command).toBe('list');
    expect(parseDeployWords(['staging', 'startup'], both, 'f').command).toBe('startup');
    expect(parseDeployWords(['staging', 'revert'], both, 'f')).toEqual({ envName: 'staging', command: 'revert', steps: 1 });
    expect(parseDeployWords(['staging', 'revert', '2'], both, 'f')).toEqual({ envName: 'staging', command: 'revert', steps: 2 });
    expect(parseDeployWords(['staging', 'run', 'pmx', 'ls'], both, 'f')).toEqual({ envName: 'staging', command: 'exec', execCommand: 'pmx ls' });
  });

  it('refuse an option pmx does not know instead of deploying it as a ref; exec keeps the options of its command', () => {
    expect(() => parseDeployWords(['production', '--verbose'], both, 'f')).toThrow("pmx deploy: unknown option '--verbose' (pmx deploy --help lists the options)");
    expect(() => parseDeployWords(['-v', 'production'], both, 'f')).toThrow("unknown option '-v'");
    expect(() => parseDeployWords(['production', 'ref', '--upload-pack=touch /tmp/x'], both, 'f')).toThrow("unknown option '--upload-pack=touch /tmp/x'");
    expect(parseDeployWords(['production', 'exec', 'ls', '-la'], both, 'f')).toEqual({ envName: 'production', command: 'exec', execCommand: 'ls -la' });
  });

  it('mark-bad takes the release to mark, or none for the one the fleet is on', () => {
    expect(parseDeployWords(['staging', 'mark-bad'], both, 'f')).toEqual({ envName: 'staging', command: 'mark-bad' });
    expect(parseDeployWords(['staging', 'mark-bad', '3f2a9c1'], both, 'f')).toEqual({ envName: 'staging', command: 'mark-bad', pick: '3f2a9c1' });
    expect(() => parseDeployWords(['staging', 'mark-bad', 'a', 'b'], both, 'f')).toThrow("pmx deploy staging mark-bad: takes at most one release (a name or a sha), got 'a b'");
  });

  it('let the environment go unnamed when the file has only one and a command is named; no word at all deploys nothing (PM2: exit 1)', () => {
    expect(parseDeployWords(['revert', '1'], ['production'], 'f')).toEqual({ envName: 'production', command: 'revert', steps: 1 });
    expect(parseDeployWords(['update'], ['production'], 'f')).toEqual({ envName: 'production', command: 'deploy' });
    expect(() => parseDeployWords([], ['production'], 'f')).toThrow("pmx deploy: name a deploy environment (the file's environments: production)");
  });

  it("ask for PM2's deploy help with a file and no environment, or with `help` alone", () => {
    expect(asksForHelp('ecosystem.config.js', [])).toBe(true);
    expect(asksForHelp(null, ['help'])).toBe(true);
    expect(asksForHelp(null, ['help', 'setup'])).toBe(true);
    expect(asksForHelp(null, [])).toBe(false);
    expect(asksForHelp('ecosystem.config.js', ['help'])).toBe(false);
    expect(asksForHelp(null, ['production'])).toBe(false);
  });

  it('say which environments exist when the word is none of them', () => {
    expect(() => parseDeployWords(['prod'], both, 'f')).toThrow(DeployConfigError);
    expect(() => parseDeployWords(['prod'], both, 'f')).toThrow("pmx deploy: 'prod' is not a deploy environment (the file's environments: production, staging)");
    expect(() => parseDeployWords(['revert'], both, 'f')).toThrow("'revert' is not a deploy environment");
  });

  it('refuse bad arguments of a command, saying what was expected', () => {
    expect(() => parseDeployWords(['production', 'revert', 'x'], both, 'f')).toThrow("expected a number of releases to go back (1, 2, ...), got 'x'");
    expect(() => parseDeployWords(['production', 'exec'], both, 'f')).toThrow('name the command to run');
    expect(() => parseDeployWords(['production', 'setup', 'now'], both, 'f')).toThrow("takes no arguments, got 'now'");
  });
});
