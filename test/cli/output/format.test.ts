// Values formatted as PM2 prints them.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpu, formatStatus, formatUptime, isWatching } from '../../../cli/output/format.js';
import { styleFor } from '../../../cli/output/style.js';

describe('formatBytes', () => {
  it('uses powers of 1024 with one decimal and lower-case units, like PM2', () => {
    expect(formatBytes(0)).toBe('0b');
    expect(formatBytes(512)).toBe('512b');
    expect(formatBytes(2048)).toBe('2.0kb');
    expect(formatBytes(42_047_488)).toBe('40.1mb');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5gb');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2.0tb');
  });

  it('prints N/A for a missing value', () => {
    expect(formatBytes(Number.NaN)).toBe('N/A');
  });
});

describe('formatUptime', () => {
  it('prints seconds, minutes, hours, days', () => {
    expect(formatUptime(0)).toBe('0s');
    expect(formatUptime(12_400)).toBe('12s');
    expect(formatUptime(5 * 60_000)).toBe('5m');
    expect(formatUptime(3 * 3_600_000 + 1)).toBe('3h');
    expect(formatUptime(2 * 86_400_000)).toBe('2D');
  });

  it("switches unit at two of it, as PM2's timeSince does", () => {
    expect(formatUptime(90_000)).toBe('90s');
    expect(formatUptime(119_000)).toBe('119s');
    expect(formatUptime(120_000)).toBe('2m');
    expect(formatUptime(36 * 3_600_000)).toBe('36h');
  });

  it('prints 0s for a start time in the future (clock skew)', () => {
    expect(formatUptime(-5_000)).toBe('0s');
  });
});

describe('formatCpu', () => {
  it('prints a percentage with at most one decimal', () => {
    expect(formatCpu(0)).toBe('0%');
    expect(formatCpu(12.46)).toBe('12.5%');
    expect(formatCpu(100)).toBe('100%');
  });
});

describe('formatStatus', () => {
  const style = styleFor(true);

  it('colours online green, stopped and stopping gray, errored red, launching and waiting restart yellow', () => {
    expect(formatStatus('online', style)).toContain('\u001b[32m');
    expect(formatStatus('stopped', style)).toContain('\u001b[90m');
    expect(formatStatus('stopping', style)).toContain('\u001b[90m');
    expect(formatStatus('errored', style)).toContain('\u001b[31m');
    expect(formatStatus('launching', style)).toContain('\u001b[33m');
    expect(formatStatus('waiting restart', style)).toContain('\u001b[33m');
  });

  it('prints the bare status without colours', () => {
    expect(formatStatus('waiting restart', styleFor(false))).toBe('waiting restart');
  });
});

describe('isWatching', () => {
  it('is on for watch: true and for a non-empty list of paths', () => {
    expect(isWatching({ watch: true })).toBe(true);
    expect(isWatching({ watch: ['src'] })).toBe(true);
    expect(isWatching({ watch: [] })).toBe(false);
    expect(isWatching({ watch: false })).toBe(false);
  });
});
