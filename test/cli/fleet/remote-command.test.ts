// The shell commands fleet commands run on a host, run here by a real sh against a stand-in `pmx`
// on the PATH they set up: words arrive intact, and a followed command ends when its stdin closes.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pmxCommand, stoppablePmxCommand } from '../../../cli/fleet/remote-command.js';

let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'pmx-fleet-sh-'));
  mkdirSync(join(home, '.pmx', 'bin'), { recursive: true });
  mkdirSync(join(home, 'current'));
  // prints its directory and each argument, then follows forever when asked to
  const fake = '#!/bin/sh\npwd\nfor word in "$@"; do printf "<%s>\\n" "$word"; done\ncase "$1" in follow) exec sleep 600 ;; fail) exit 3 ;; esac\n';
  writeFileSync(join(home, '.pmx', 'bin', 'pmx'), fake);
  chmodSync(join(home, '.pmx', 'bin', 'pmx'), 0o755);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs a command as sshd would (`sh -c` in the home directory), with stdin open until `closeStdin`. */
function run(command: string): { closeStdin: () => void; done: Promise<{ code: number | null; stdout: string; stderr: string }>; firstOutput: Promise<void> } {
  const child = spawn('/bin/sh', ['-c', command], { cwd: home, env: { HOME: home, PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const firstOutput = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { closeStdin: () => child.stdin.end(), done, firstOutput };
}

describe('fleet remote commands', () => {
  it('run the pmx on PATH in the release directory, each word as it was given', async () => {
    const { closeStdin, done } = run(pmxCommand(join(home, 'current'), ['describe', "it's an app", '$HOME', '--lines', '5']));
    closeStdin();
    expect(await done).toEqual({ code: 0, stdout: `${join(home, 'current')}\n<describe>\n<it's an app>\n<$HOME>\n<--lines>\n<5>\n`, stderr: '' });
  });

  it('run in the home directory when the release does not exist yet', async () => {
    const { closeStdin, done } = run(pmxCommand(join(home, 'missing'), ['jlist']));
    closeStdin();
    expect((await done).stdout).toBe(`${home}\n<jlist>\n`);
  });

  it('a followed command ends when its stdin closes, and the shell does not print that it was terminated', async () => {
    const { closeStdin, done, firstOutput } = run(stoppablePmxCommand(join(home, 'current'), ['follow']));
    await firstOutput;
    closeStdin();
    const { code, stderr } = await done;
    expect({ code, stderr }).toEqual({ code: 143, stderr: '' }); // TERM
  });

  it('a followed command that ends by itself ends the whole command with its exit status, stdin still open', async () => {
    const { closeStdin, done } = run(stoppablePmxCommand(join(home, 'current'), ['fail']));
    try {
      expect(await done).toEqual({ code: 3, stdout: `${join(home, 'current')}\n<fail>\n`, stderr: '' });
    } finally {
      closeStdin();
    }
  });
});
