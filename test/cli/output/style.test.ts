// ANSI styles that switch off cleanly, and widths as a terminal draws them.
import { describe, expect, it } from 'vitest';
import { displayWidth, printable, stripAnsi, styleFor, truncate, wantsColor } from '../../../cli/output/style.js';

describe('styleFor', () => {
  it('wraps text in SGR codes when colours are on and leaves it alone when off', () => {
    expect(styleFor(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(styleFor(false).red('x')).toBe('x');
    expect(styleFor(false).bold(styleFor(false).cyan('id'))).toBe('id');
  });
});

describe('wantsColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };

  it('colours a terminal and not a pipe', () => {
    expect(wantsColor(tty, {})).toBe(true);
    expect(wantsColor(pipe, {})).toBe(false);
  });

  it('honours NO_COLOR unless it is empty', () => {
    expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('lets FORCE_COLOR colour a pipe, and FORCE_COLOR=0 turn colours off', () => {
    expect(wantsColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor(pipe, { FORCE_COLOR: '', NO_COLOR: '1' })).toBe(true);
    expect(wantsColor(tty, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('does not colour a dumb terminal', () => {
    expect(wantsColor(tty, { TERM: 'dumb' })).toBe(false);
  });
});

describe('stripAnsi', () => {
  it('removes colours and OSC hyperlinks, keeping the text', () => {
    const style = styleFor(true);
    expect(stripAnsi(style.bold(style.green('online')))).toBe('online');
    expect(stripAnsi('\u001b]8;;https://x.test\u0007link\u001b]8;;\u0007')).toBe('link');
  });
});

describe('displayWidth', () => {
  it('counts columns, not code units or escape codes', () => {
    expect(displayWidth('api')).toBe(3);
    expect(displayWidth(styleFor(true).red('api'))).toBe(3);
    expect(displayWidth('↺')).toBe(1);
    expect(displayWidth('✔')).toBe(1);
  });

  it('counts wide CJK characters and emoji as two columns and combining marks as none', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('👩\u200d💻')).toBe(2);
  });
});

describe('truncate', () => {
  it('keeps text that fits and cuts the rest with an ellipsis within the width', () => {
    expect(truncate('worker', 6)).toBe('worker');
    expect(truncate('worker-queue', 6)).toBe('worke…');
    expect(truncate('日本語アプリ', 5)).toBe('日本…');
    expect(displayWidth(truncate('日本語アプリ', 5))).toBeLessThanOrEqual(5);
  });
});

describe('printable', () => {
  it('shows control characters as escapes so they cannot break a line or inject colours', () => {
    expect(printable('a\nb\tc')).toBe('a\\nb\\tc');
    expect(printable('\u001b[2Jx')).toBe('\\e[2Jx');
    expect(printable('\u0007')).toBe('\\x07');
    expect(printable('plain é 日本')).toBe('plain é 日本');
  });
});
