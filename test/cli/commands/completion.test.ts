// Shell completion: the bash script completes in a real bash; install/uninstall manage one rc block.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BLOCK_END,
  BLOCK_START,
  completionScript,
  detectShell,
  installCompletion,
  uninstallCompletion,
  withoutBlock,
} from '../../../cli/commands/completion.js';

const COMMANDS = ['start', 'stop', 'restart', 'reload', 'reset', 'delete', 'del', 'ls', 'list', 'describe', 'env', 'logs', 'sendSignal', 'completion', 'startOrRestart'];
const HAS_ZSH = spawnSync('zsh', ['-fc', 'true']).status === 0;

/** COMPREPLY after completing `words` (the last one is being completed) in a real bash, with a stub `pmx` listing `names`. */
function bashComplete(words: string[], names: string[] = ['api', 'worker'], cwd?: string): string[] {
  const program = [
    completionScript('bash', COMMANDS),
    'pmx() { [ "$1" = completion-names ] && printf %s "$STUB_NAMES"; }',
    'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))',
    '_pmx_completion',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const env = { ...process.env, STUB_NAMES: names.map((name) => `${name}\n`).join('') };
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', ...words], { encoding: 'utf8', cwd, env });
  return out.split('\n').filter((line) => line !== '');
}

describe('completionScript (bash)', () => {
  it('completes command names: `pmx res` offers restart and reset, `pmx st` offers start and stop', () => {
    expect(bashComplete(['pmx', 'res']).sort()).toEqual(['reset', 'restart']);
    expect(bashComplete(['pmx', 'st']).sort()).toEqual(['start', 'startOrRestart', 'stop']);
    expect(bashComplete(['pmx', '']).length).toBe(COMMANDS.length);
  });

  it('offers start and restart among every command for `pmx` alone, and restart for `pmx res`', () => {
    expect(bashComplete(['pmx', ''])).toEqual(expect.arrayContaining(['start', 'restart']));
    expect(bashComplete(['pmx', 'res'])).toContain('restart');
  });

  it('completes process names and `all` after a process command, from `pmx completion-names`', () => {
    expect(bashComplete(['pmx', 'restart', '']).sort()).toEqual(['all', 'api', 'worker']);
    expect(bashComplete(['pmx', 'stop', 'w'])).toEqual(['worker']);
    expect(bashComplete(['pmx', 'delete', 'api', 'w'])).toEqual(['worker']);
    expect(bashComplete(['pmx', 'describe', 'a']).sort()).toEqual(['all', 'api']);
  });

  it('completes signals, then names, for sendSignal', () => {
    expect(bashComplete(['pmx', 'sendSignal', 'SIGUS']).sort()).toEqual(['SIGUSR1', 'SIGUSR2']);
    expect(bashComplete(['pmx', 'sendSignal', 'SIGUSR2', 'ap'])).toEqual(['api']);
  });

  it('completes names and files for start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmx-completion-files-'));
    try {
      writeFileSync(join(dir, 'app.js'), '');
      expect(bashComplete(['pmx', 'start', 'a'], ['api'], dir).sort()).toEqual(['api', 'app.js']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('completes the actions and shells of `pmx completion`', () => {
    expect(bashComplete(['pmx', 'completion', '']).sort()).toEqual(['install', 'uninstall']);
    expect(bashComplete(['pmx', 'completion', 'install', 'z'])).toEqual(['zsh']);
  });

  it('skips global options before the command', () => {
    expect(bashComplete(['pmx', '--no-daemon', 'rel'])).toEqual(['reload']);
  });

  it('never expands a process name: no command substitution, no glob', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmx-completion-inject-'));
    writeFileSync(join(dir, 'file-a'), '');
    try {
      const marker = join(dir, 'pwned');
      const name = `$(touch ${marker})`;
      expect(bashComplete(['pmx', 'stop', '$'], [name, '*'])).toEqual([name]);
      expect(existsSync(marker)).toBe(false);
      expect(bashComplete(['pmx', 'stop', ''], ['*'], dir)).toEqual(['all', '*']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a command name that is not a plain word', () => {
    expect(() => completionScript('bash', ['ls; rm -rf ~'])).toThrow(/not a plain word/);
  });
});

describe('completionScript (zsh)', () => {
  it('defines a native zsh completion function registered with compdef', () => {
    const script = completionScript('zsh', COMMANDS);
    expect(script.startsWith('#compdef pmx\n')).toBe(true);
    expect(script).toContain('compdef _pmx pmx');
    expect(script).toContain('compadd');
  });

  it.skipIf(!HAS_ZSH)('completes commands and process names in a real zsh', () => {
    const run = (words: string[]): string[] => {
      const program = [
        'compdef() { :; }',
        completionScript('zsh', COMMANDS),
        "compadd() { [[ $1 == -- ]] && shift; print -rl -- \"$@\"; }",
        '_files() { :; }',
        "pmx() { print -l api worker; }",
        'words=("$@"); CURRENT=$#',
        '_pmx',
      ].join('\n');
      return execFileSync('zsh', ['-f', '-c', program, 'zsh', ...words], { encoding: 'utf8' }).split('\n').filter(Boolean);
    };
    expect(run(['pmx', 'res'])).toEqual(expect.arrayContaining(['start', 'restart']));
    expect(run(['pmx', 'restart', ''])).toEqual(['all', 'api', 'worker']);
  });
});

describe('detectShell', () => {
  it('picks zsh for a zsh login shell and bash otherwise', () => {
    expect(detectShell('/usr/bin/zsh')).toBe('zsh');
    expect(detectShell('/bin/zsh-5.9')).toBe('zsh');
    expect(detectShell('/bin/bash')).toBe('bash');
    expect(detectShell('/usr/bin/fish')).toBe('bash');
    expect(detectShell(undefined)).toBe('bash');
  });
});

describe('installCompletion / uninstallCompletion', () => {
  let home: string;
  let pmxHome: string;
  const blocks = (text: string): number => text.split('\n').filter((line) => line === BLOCK_START).length;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'pmx-completion-home-'));
    pmxHome = join(home, '.pmx');
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('writes ~/.pmx/completion.bash and adds one marked block to ~/.bashrc, however often it runs', async () => {
    writeFileSync(join(home, '.bashrc'), 'export EDITOR=vim\n');
    const first = await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    expect(first).toEqual({ shell: 'bash', rcFile: join(home, '.bashrc'), scriptFile: join(pmxHome, 'completion.bash') });
    const once = readFileSync(first.rcFile, 'utf8');
    await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    const twice = readFileSync(first.rcFile, 'utf8');
    expect(blocks(twice)).toBe(1);
    expect(twice).toBe(once);
    expect(twice.startsWith('export EDITOR=vim\n')).toBe(true);
    expect(twice).toContain(BLOCK_END);
    expect(readFileSync(first.scriptFile, 'utf8')).toBe(completionScript('bash', COMMANDS));
  });

  it('makes the completion available in a new bash that reads ~/.bashrc', async () => {
    await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', '. "$HOME/.bashrc"; complete -p pmx'], { encoding: 'utf8', env: { ...process.env, HOME: home } });
    expect(out.trim()).toBe('complete -o default -F _pmx_completion pmx');
  });

  it('creates the rc file when there is none, and adds a newline to one that lacks it', async () => {
    await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    expect(readFileSync(join(home, '.bashrc'), 'utf8').startsWith(BLOCK_START)).toBe(true);
    writeFileSync(join(home, '.zshrc'), 'setopt autocd');
    await installCompletion({ shell: 'zsh', home, pmxHome, commands: COMMANDS });
    expect(readFileSync(join(home, '.zshrc'), 'utf8').startsWith(`setopt autocd\n${BLOCK_START}`)).toBe(true);
  });

  it('detects zsh from the login shell when no shell is named', async () => {
    const done = await installCompletion({ loginShell: '/usr/bin/zsh', home, pmxHome, commands: COMMANDS });
    expect(done).toEqual({ shell: 'zsh', rcFile: join(home, '.zshrc'), scriptFile: join(pmxHome, 'completion.zsh') });
    expect(readFileSync(done.scriptFile, 'utf8')).toContain('compdef _pmx pmx');
  });

  it('writes through a symlinked rc file instead of replacing the link', async () => {
    writeFileSync(join(home, 'dotfiles-bashrc'), '# mine\n');
    symlinkSync(join(home, 'dotfiles-bashrc'), join(home, '.bashrc'));
    await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    expect(readFileSync(join(home, 'dotfiles-bashrc'), 'utf8')).toContain(BLOCK_START);
  });

  it('uninstall removes the block and the script file and leaves the rest of the rc as it was', async () => {
    const original = 'export EDITOR=vim\nalias ll="ls -l"\n';
    writeFileSync(join(home, '.bashrc'), original);
    const { scriptFile } = await installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS });
    const done = await uninstallCompletion({ shell: 'bash', home, pmxHome });
    expect(done).toEqual({ rcFile: join(home, '.bashrc'), removed: true });
    expect(readFileSync(join(home, '.bashrc'), 'utf8')).toBe(original);
    expect(existsSync(scriptFile)).toBe(false);
    expect(await uninstallCompletion({ shell: 'bash', home, pmxHome })).toEqual({ rcFile: join(home, '.bashrc'), removed: false });
  });

  it('uninstall without a shell cleans both bash and zsh', async () => {
    await installCompletion({ shell: 'zsh', home, pmxHome, commands: COMMANDS });
    const done = await uninstallCompletion({ home, pmxHome });
    expect(done).toEqual({ rcFile: join(home, '.zshrc'), removed: true });
    expect(blocks(readFileSync(join(home, '.zshrc'), 'utf8'))).toBe(0);
    expect(existsSync(join(pmxHome, 'completion.zsh'))).toBe(false);
  });

  it('refuses to touch an rc file whose block has lost its closing line', async () => {
    writeFileSync(join(home, '.bashrc'), `${BLOCK_START}\nsource x\nexport KEEP=1\n`);
    await expect(installCompletion({ shell: 'bash', home, pmxHome, commands: COMMANDS })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(readFileSync(join(home, '.bashrc'), 'utf8')).toContain('export KEEP=1');
  });
});

describe('withoutBlock', () => {
  it('removes every pmx block, keeping the lines around them', () => {
    const rc = ['a', BLOCK_START, 'x', BLOCK_END, 'b', BLOCK_START, 'y', BLOCK_END, ''].join('\n');
    expect(withoutBlock(rc, '.bashrc')).toEqual({ text: 'a\nb\n', removed: true });
    expect(withoutBlock('a\n', '.bashrc')).toEqual({ text: 'a\n', removed: false });
  });
});
