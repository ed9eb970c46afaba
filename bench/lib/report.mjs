// A benchmark's result: figures (pmx beside PM2, ratio, target) that run.mjs gathers into the
// summary, and the detail tables a benchmark prints as it goes.
import { formatValue, printTable, ratio } from './format.mjs';

/**
 * One figure of the summary. unit: 'ms' | 's' | 'bytes' | '%' | 'count'; pm2 may be undefined (PM2
 * not measured); target: the goal in words; met: true/false whether this run meets it (a
 * benchmark reports, it never fails on a figure); note: how it was measured, in a few words.
 */
export function figure({ name, unit, pmx, pm2, target = '', met = null, note = '' }) {
  return { name, unit, pmx, pm2, ratio: Number.isFinite(pmx) && Number.isFinite(pm2) && pm2 !== 0 ? pmx / pm2 : null, target, met, note };
}

/** A reference figure that is the same for both (a floor: plain node, a bare supervisor). */
export function floorFigure({ name, unit, value, note = '' }) {
  return { name, unit, floor: value, ratio: null, target: '', met: null, note };
}

export function figureRow(f) {
  if ('floor' in f) return [f.name, formatValue(f.floor, f.unit), '(same)', '', '', ''];
  return [f.name, formatValue(f.pmx, f.unit), f.pm2 === undefined ? 'n/a' : formatValue(f.pm2, f.unit), f.unit === '%' ? '' : ratio(f.pmx, f.pm2), f.target, f.met === null ? '' : f.met ? 'yes' : 'NO'];
}

export function printFigures(title, figures) {
  printTable(title, ['figure', 'pmx', 'PM2', 'pmx/PM2', 'target', 'met'], figures.map(figureRow));
}

/** "median (min-max, n=..)" in a unit. */
export function spread(s, unit) {
  return `${formatValue(s.median, unit)} (${formatValue(s.min, unit)}-${formatValue(s.max, unit)}, n=${s.n})`;
}
