// lastLines reads a log file from its end: the right lines, whole characters, any file size.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastLines } from '../../../agent/logs/tail.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('lastLines', () => {
  it('gives the last lines, with or without a final newline, and all of a short file', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    expect(lastLines(file('a.log', `${lines.join('\n')}\n`), 3)).toEqual(['line 47', 'line 48', 'line 49']);
    expect(lastLines(file('b.log', lines.join('\n')), 2)).toEqual(['line 48', 'line 49']);
    expect(lastLines(file('c.log', 'one\ntwo\n'), 15)).toEqual(['one', 'two']);
    expect(lastLines(file('d.log', ''), 15)).toEqual([]);
    expect(lastLines(join(dir, 'missing.log'), 15)).toEqual([]);
    expect(lastLines(file('e.log', 'x\n'), 0)).toEqual([]);
  });

  it('reads back across many chunks without cutting a character or a line', () => {
    // 3-byte characters on lines long enough that reads of 64 KB end inside them
    const long = Array.from({ length: 400 }, (_, i) => `${i} ${'€'.repeat(1000)}`);
    const last = lastLines(file('f.log', `${long.join('\n')}\n`), 100);
    expect(last).toEqual(long.slice(-100));
  });
});
