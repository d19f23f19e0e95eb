/**
 * Tables from plain rows: aligned text for terminals and logs, HTML for
 * notebooks (escaped, numbers right-aligned with sensible precision, chosen
 * rows highlighted). Rows are plain objects, so sorting, filtering and
 * grouping are the array methods a student already knows.
 *
 * @example
 * showTable(grid.rows, {
 *   columns: ['metric', 'M', 'efConstruction', 'efSearch', 'latencyMs', 'recall', 'precision'],
 *   highlight: [{ row: fastest(grid.rows), label: 'fastest' }],
 * });
 */
import { displayHtml, escapeHtml, STYLE } from './display';

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

/** A number with a precision that suits its size: 12,345 · 123.4 · 12.35 · 1.235 · 0.123 · 1.2e-5. */
export function formatNumber(v: number, digits?: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '—' : v > 0 ? '∞' : '-∞';
  if (digits !== undefined) return v.toFixed(digits);
  if (Number.isInteger(v)) return Math.abs(v) >= 10000 ? v.toLocaleString('en-US') : String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  if (a >= 0.001) return v.toFixed(3);
  return v.toExponential(1);
}

function cellText(v: Cell, digits?: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v, digits);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** Any plain objects work as rows (PhotoRow, GridRow, ...): read as Row. */
type Rows = readonly object[];
const asRows = (rows: Rows) => rows as readonly Row[];

function columnsOf(rows: readonly Row[], columns?: string[]): string[] {
  if (columns) return columns;
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Rows as an aligned text table; columns from the rows' keys (or `columns`). */
export function formatTable(input: Rows, columns?: string[]): string {
  const rows = asRows(input);
  if (rows.length === 0) return '(no rows)';
  const cols = columnsOf(rows, columns);
  const cells = rows.map((r) => cols.map((c) => cellText(r[c])));
  const numeric = cols.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) =>
    vals.map((v, i) => (numeric[i] ? v.padStart(width[i]) : v.padEnd(width[i]))).join('  ');
  return [line(cols), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export interface Highlight {
  /** The row itself (as in the rows given) or its position. */
  row: object | number;
  /** A tag shown in the row, e.g. "fastest". */
  label: string;
  /** Background colour (CSS), default a light green. */
  color?: string;
}

export interface TableOptions {
  /** Columns to show, in order (default: every key). */
  columns?: string[];
  /** Header text per column, e.g. { latencyMs: 'latency (ms)' }. */
  headers?: Record<string, string>;
  /** Decimals per numeric column (default: by magnitude). */
  digits?: Record<string, number>;
  /** Rows to highlight with a tag. */
  highlight?: Highlight[];
  /** A caption above the table. */
  caption?: string;
  /** Rows shown at most (default 200); the rest are counted in a note. */
  maxRows?: number;
}

const HIGHLIGHT_COLORS = ['#d9f2e3', '#fff1c7', '#dbe9ff', '#f6dcdc'];

/** Rows as an HTML table (self-contained, escaped). */
export function tableHtml(input: Rows, options: TableOptions = {}): string {
  if (!Array.isArray(input)) throw new TypeError(`tableHtml expects an array of rows, but received ${typeof input}`);
  const rows = asRows(input);
  const cols = columnsOf(rows, options.columns);
  const numeric = cols.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const maxRows = options.maxRows ?? 200;
  const tags = new Map<number, Highlight[]>();
  (options.highlight ?? []).forEach((h, i) => {
    const at = typeof h.row === 'number' ? h.row : rows.indexOf(h.row as Row);
    if (at < 0 || at >= rows.length) return;
    tags.set(at, [...(tags.get(at) ?? []), { ...h, color: h.color ?? HIGHLIGHT_COLORS[i % HIGHLIGHT_COLORS.length] }]);
  });
  const hasTags = tags.size > 0;
  const th = (c: string, i: number) =>
    `<th style="padding:3px 8px;border-bottom:2px solid #999;text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(options.headers?.[c] ?? c)}</th>`;
  const head = `<tr>${cols.map(th).join('')}${hasTags ? '<th style="padding:3px 8px;border-bottom:2px solid #999"></th>' : ''}</tr>`;
  const body = rows.slice(0, maxRows).map((r, i) => {
    const t = tags.get(i);
    const bg = t ? `background:${t[0].color};font-weight:600;` : i % 2 ? 'background:#f7f7f7;' : '';
    const tds = cols.map(
      (c, j) =>
        `<td style="padding:2px 8px;text-align:${numeric[j] ? 'right' : 'left'};font-variant-numeric:tabular-nums">${escapeHtml(cellText(r[c], options.digits?.[c]))}</td>`,
    );
    const tagCell = hasTags
      ? `<td style="padding:2px 8px">${t ? escapeHtml(t.map((x) => x.label).join(', ')) : ''}</td>`
      : '';
    return `<tr style="${bg}">${tds.join('')}${tagCell}</tr>`;
  });
  const more =
    rows.length > maxRows ? `<div style="color:${STYLE.muted}">… and ${rows.length - maxRows} more rows</div>` : '';
  const caption = options.caption
    ? `<caption style="caption-side:top;text-align:left;font-weight:600;padding:4px 0">${escapeHtml(options.caption)}</caption>`
    : '';
  const empty = rows.length === 0 ? `<tr><td style="color:${STYLE.muted}">(no rows)</td></tr>` : '';
  return `<div style="${STYLE.font};overflow-x:auto"><table style="border-collapse:collapse">${caption}<thead>${head}</thead><tbody>${body.join('')}${empty}</tbody></table>${more}</div>`;
}

/** Shows rows as an HTML table in a notebook; outside one returns the HTML. */
export function showTable(rows: Rows, options: TableOptions = {}): string | undefined {
  return displayHtml(tableHtml(rows, options));
}
