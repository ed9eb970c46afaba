// Printing: figures in their units, ratios, and aligned tables.
export const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms` : 'n/a');
export const mb = (v) => (Number.isFinite(v) ? `${(v / 2 ** 20).toFixed(1)} MB` : 'n/a');
export const pct = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)} %` : 'n/a');
export const sec = (v) => (Number.isFinite(v) ? `${v.toFixed(2)} s` : 'n/a');
export const count = (v) => (Number.isFinite(v) ? v.toLocaleString('en-US') : 'n/a');
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(2) : '');

/** A value in the unit it was measured in: 'ms', 's', 'bytes', '%' or 'count'. */
export function formatValue(value, unit) {
  if (unit === 'ms') return ms(value);
  if (unit === 'bytes') return mb(value);
  if (unit === '%') return pct(value);
  if (unit === 's') return sec(value);
  return count(value);
}

export function printTable(title, headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
