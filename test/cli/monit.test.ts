// `pmx monit` in a real terminal (tmux): it draws the processes with their bars, follows the
// selection with ↓ and shows that process's logs, and q gives the terminal back as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, ROOT, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
// our own tmux server, so nothing here can touch another session on this machine
const SERVER = `pmx-monit-test-${process.pid}`;
const SESSION = 'monit';
const CTRL_C_SESSION = 'monit-ctrl-c';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', ['-L', SERVER, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const screen = (session = SESSION): string => tmux('capture-pane', '-p', '-t', session);
const alternateScreen = (): boolean => tmux('display-message', '-p', '-t', SESSION, '#{alternate_on}').trim() === '1';

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** Runs monit in a new tmux session through a shell that compares the terminal settings before and after. */
function startMonit(session: string): void {
  const script = [
    'before=$(stty -g)',
    `PMX_HOME=${quote(pmx.home)} NO_COLOR=1 ${quote(process.execPath)} ${quote(join(ROOT, 'dist/cli/main.js'))} monit`,
    'code=$?',
    'if [ "$(stty -g)" = "$before" ]; then restored=yes; else restored=no; fi',
    'echo "MONIT-DONE code=$code restored=$restored"',
    // the pane stays open for capture-pane until the session is killed
    'read _',
  ].join('; ');
  tmux('-u', 'new-session', '-d', '-s', session, '-x', '120', '-y', '40', `sh -c ${quote(script)}`);
}

describe.skipIf(!hasTmux)('pmx monit', () => {
  beforeAll(async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'alpha']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'beta', '--', 'from-beta']);
    startMonit(SESSION);
  });
  afterAll(async () => {
    for (const session of [SESSION, CTRL_C_SESSION]) spawnSync('tmux', ['-L', SERVER, 'kill-session', '-t', session]);
    // the server ends with its last session but leaves its socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SERVER), { force: true });
    await pmx.cleanup();
  });

  it('draws every process with CPU and memory bars, on the alternate screen', async () => {
    const shown = await eventually('the process list', () => {
      const text = screen();
      return text.includes('alpha') && text.includes('beta') ? text : null;
    });
    expect(shown).toMatch(/▶ 0 +alpha +online +[█░]{10} +[\d.]+% [█░]{10} +[\d.]+[kmg]?b/);
    expect(shown).toMatch(/ {2}1 +beta +online +[█░]{10}/);
    expect(shown).toContain('logs of alpha (id 0)');
    expect(alternateScreen()).toBe(true);
  });

  it('selects the next process with ↓ and shows its metrics and logs', async () => {
    tmux('send-keys', '-t', SESSION, 'Down');
    const shown = await eventually('beta selected', () => {
      const text = screen();
      return text.includes('logs of beta (id 1)') && text.includes('from-beta') ? text : null;
    });
    expect(shown).toMatch(/▶ 1 +beta/);
    expect(shown).toMatch(/│ name +beta/);
    expect(shown).toMatch(/│ restarts +0/);
  });

  it('quits on q and gives the terminal back as it found it', async () => {
    tmux('send-keys', '-t', SESSION, 'q');
    const shown = await eventually('monit to end', () => {
      const text = screen();
      return text.includes('MONIT-DONE') ? text : null;
    });
    expect(shown).toContain('MONIT-DONE code=0 restored=yes');
    expect(alternateScreen()).toBe(false);
    expect(tmux('display-message', '-p', '-t', SESSION, '#{cursor_flag}').trim()).toBe('1');
  });

  it('quits on Ctrl-C too, the terminal restored', async () => {
    startMonit(CTRL_C_SESSION);
    await eventually('the process list', () => screen(CTRL_C_SESSION).includes('alpha'));
    tmux('send-keys', '-t', CTRL_C_SESSION, 'C-c');
    const shown = await eventually('monit to end', () => {
      const text = screen(CTRL_C_SESSION);
      return text.includes('MONIT-DONE') ? text : null;
    });
    expect(shown).toContain('MONIT-DONE code=0 restored=yes');
  });
});

describe('pmx monit without a terminal', () => {
  const piped = new PmxSandbox();
  afterAll(() => piped.cleanup());

  it('says it needs one instead of drawing into a pipe', async () => {
    const result = await piped.run(['monit']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pmx monit needs a terminal');
  });
});
