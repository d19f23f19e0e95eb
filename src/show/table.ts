/** Plain-text tables for terminals and logs (notebooks get HTML from the same rows). */

export type Row = Record<string, string | number | boolean>;

function cell(v: string | number | boolean): string {
  if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(Math.abs(v) < 10 ? 3 : 1);
  return String(v);
}

/** Rows as an aligned text table; columns from the first row's keys. */
export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => cell(r[c] ?? '')));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) =>
    vals.map((v, i) => (typeof rows[0][cols[i]] === 'number' ? v.padStart(width[i]) : v.padEnd(width[i]))).join('  ');
  return [line(cols), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
