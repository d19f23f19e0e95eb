/**
 * The SQL a store sends, kept so it can be read: every statement verbatim with
 * its bound parameters, what the store was doing, and how long it took. A
 * notebook shows them as the tutorials do (`showSql`); a test can run one again.
 *
 * @example
 * const store = await SqlVectorStore.open({ table: 'dogs', d: 512, mode: 'replace' });
 * store.statements.find((s) => s.sql.startsWith('CREATE TABLE'));   // the DDL as sent
 * await store.search(q, 5);
 * void showSql(store.lastStatement('searching')!);                     // the SELECT and its parameters
 * // or: SqlVectorStore.open({ ..., onStatement: (s) => console.log(formatStatement(s)) })
 */
import { displayHtml, escapeHtml } from '../show/display';
import type { SqlParams } from './backend';

/** One statement as the store sent it. */
export interface SqlStatement {
  /** 1, 2, ... in the order sent on this store's connection (kept across withMetric copies). */
  seq: number;
  /** What the store was doing: 'creating the table', 'adding the vector index', 'searching', ... */
  what: string;
  /** The statement, verbatim, with `{name:Type}` placeholders where values go. */
  sql: string;
  /** The values bound to the placeholders, as sent (a query vector is the text of an Array(Float32)). */
  params: SqlParams;
  /** The output format asked for (the engine's FORMAT; not part of the text). */
  format: string;
  /** The file sent as the statement's data (an INSERT's Native file), if any. */
  data?: string;
  /** Milliseconds until the answer or the error. */
  ms: number;
  /** The engine's message when the statement failed. */
  error?: string;
}

/** Statements kept per connection (the oldest are dropped first). */
export const STATEMENTS_KEPT = 200;

/** The log a store and its withMetric copies share. */
export class StatementLog {
  readonly kept: SqlStatement[] = [];
  private seq = 0;

  constructor(readonly onStatement?: (s: SqlStatement) => void) {}

  add(s: Omit<SqlStatement, 'seq'>): SqlStatement {
    const full: SqlStatement = { seq: ++this.seq, ...s };
    this.kept.push(full);
    if (this.kept.length > STATEMENTS_KEPT) this.kept.splice(0, this.kept.length - STATEMENTS_KEPT);
    this.onStatement?.(full);
    return full;
  }
}

export interface FormatOptions {
  /** Values of an array parameter shown before "…" (default 4; Infinity: all, runnable as is). */
  maxValues?: number;
  /** A first comment line: what the store was doing and the time (default true). */
  header?: boolean;
}

/** The type each placeholder is declared with in the statement: { lab_q: 'Array(Float32)', ... }. */
function placeholderTypes(sql: string): Map<string, string> {
  const types = new Map<string, string>();
  // A type may hold parentheses (Array(Float32)); placeholders never nest braces.
  for (const m of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g)) types.set(m[1], m[2]);
  return types;
}

function shortValue(v: unknown, type: string | undefined, maxValues: number): string {
  if (typeof v === 'string' && type?.startsWith('Array(') && /^\[.*\]$/s.test(v)) {
    // An array sent as its text (the store's query vectors): shorten by elements, not characters.
    const items = v.slice(1, -1).split(',');
    if (items.length <= maxValues) return v;
    return `[${items.slice(0, maxValues).join(', ')}, …] (${items.length} values)`;
  }
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const items = Array.from(v as ArrayLike<unknown>, (x) => (typeof x === 'string' ? `'${x}'` : String(x)));
    if (items.length <= maxValues) return `[${items.join(', ')}]`;
    return `[${items.slice(0, maxValues).join(', ')}, …] (${items.length} values)`;
  }
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return String(v);
}

/**
 * A statement as text to read: a comment with what it did, one comment per
 * parameter (`-- {lab_k:UInt32} = 5`, long vectors shortened), then the SQL
 * exactly as sent.
 */
export function formatStatement(s: SqlStatement, options: FormatOptions = {}): string {
  const maxValues = options.maxValues ?? 4;
  const lines: string[] = [];
  if (options.header ?? true) {
    const time =
      s.ms < 10 ? `${s.ms.toFixed(1)} ms` : s.ms < 10_000 ? `${Math.round(s.ms)} ms` : `${(s.ms / 1000).toFixed(1)} s`;
    const failed = s.error ? `, failed: ${s.error.split('\n')[0].slice(0, 120)}` : '';
    lines.push(`-- ${s.what} (${time}${failed})`);
  }
  const types = placeholderTypes(s.sql);
  for (const [name, value] of Object.entries(s.params)) {
    const type = types.get(name);
    lines.push(`-- {${name}:${type ?? '?'}} = ${shortValue(value, type, maxValues)}`);
  }
  if (s.data) lines.push(`-- data: ${s.data}`);
  lines.push(s.sql);
  return lines.join('\n');
}

/**
 * Shows statements as one SQL code block in a notebook (outside a kernel:
 * returns its HTML). Accepts one statement or a list.
 */
export function showSql(
  statements: SqlStatement | readonly SqlStatement[],
  options: FormatOptions & { title?: string } = {},
): string | undefined {
  const list = Array.isArray(statements) ? (statements as readonly SqlStatement[]) : [statements as SqlStatement];
  const text = list.map((s) => formatStatement(s, options)).join(';\n\n') + (list.length ? ';' : '');
  const title = options.title ? `<div style="font-weight:600;margin:4px 0">${escapeHtml(options.title)}</div>` : '';
  return displayHtml(
    `<div class="lab-sql">${title}<pre style="background:#f6f8fa;border:1px solid #e1e4e8;padding:8px 10px;` +
      'overflow-x:auto;font-size:12px;line-height:1.35">' +
      `<code class="language-sql">${escapeHtml(text)}</code></pre></div>`,
  );
}
