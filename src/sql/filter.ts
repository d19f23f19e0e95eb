/**
 * Filters for SQL k-NN: structured conditions on the table's columns, or a SQL
 * condition with its own `{name:Type}` parameters. Either way every value
 * travels as a bound parameter; only validated column names reach the SQL text.
 *
 * @example
 * { label: 'beagle' }                                  // label = {lab_f0:String}
 * { label: ['beagle', 'pug'], idNotIn: [3, 17] }      // label IN [...] AND id NOT IN [...]
 * { pose: { ne: 'Rear' }, score: { gte: 0.5 } }
 * { sql: 'startsWith(path, {dir:String})', params: { dir: 'n02085620' } }
 */
import type { SqlParams } from './backend';

export type Scalar = string | number | boolean | bigint;

/** One column's condition: a value (=), a list (IN), or comparisons. */
export type Condition =
  | Scalar
  | readonly Scalar[]
  | {
      eq?: Scalar;
      ne?: Scalar;
      in?: readonly Scalar[];
      notIn?: readonly Scalar[];
      gt?: Scalar;
      gte?: Scalar;
      lt?: Scalar;
      lte?: Scalar;
    };

/** Conditions on columns, all of which must hold; idIn/idNotIn are on the row id. */
export interface Conditions {
  idIn?: ArrayLike<number | bigint>;
  idNotIn?: ArrayLike<number | bigint>;
  [column: string]: Condition | ArrayLike<number | bigint> | undefined;
}

/** A SQL boolean expression over the table's columns; values as {name:Type} placeholders in params. */
export interface SqlFilter {
  sql: string;
  params?: SqlParams;
}

export type Filter = Conditions | SqlFilter;

/** Our own placeholders start with this; a SqlFilter's may not. */
export const OWN_PREFIX = 'lab_';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a table or column name (letters, digits, _; not starting with a digit; at most 64). */
export function checkIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENT.test(name) || name.length > 64) {
    throw new TypeError(
      `Expected a plain SQL name for ${what} (letters, digits and _, not starting with a digit, at most 64) but received ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** The parameter type for values of a column of ClickHouse type `type`. */
function paramType(type: string): string {
  const lc = /^LowCardinality\((.*)\)$/.exec(type);
  return lc ? lc[1] : type;
}

/** A value as an error message shows it: NaN, Infinity and -Infinity by name (JSON would say null), strings quoted. */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'function' || typeof v === 'symbol') return `a ${typeof v}`;
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(describeValue).join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  try {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function checkValue(v: unknown, type: string, column: string, at = ''): Scalar {
  const t = paramType(type);
  const ok =
    t === 'String'
      ? typeof v === 'string'
      : t === 'Bool'
        ? typeof v === 'boolean'
        : /^U?Int\d+$/.test(t)
          ? (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint'
          : /^Float\d+$/.test(t)
            ? typeof v === 'number' && Number.isFinite(v)
            : false;
  if (!ok) {
    const want =
      t === 'String' ? 'a string' : t === 'Bool' ? 'a boolean' : /Int/.test(t) ? 'an integer' : 'a finite number';
    throw new TypeError(`filter on ${column}${at} (${type}): expected ${want} but received ${describeValue(v)}`);
  }
  if (/^UInt/.test(t) && Number(v) < 0) {
    throw new TypeError(`filter on ${column}${at} (${type}): expected a value >= 0 but received ${v}`);
  }
  return v as Scalar;
}

const OPS: Record<string, string> = { eq: '=', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * SQL text and parameters for a filter on a table whose columns (name -> type)
 * are given. Returns { sql: '' } for no filter.
 */
export function compileFilter(
  filter: Filter | undefined,
  columns: ReadonlyMap<string, string>,
): { sql: string; params: SqlParams } {
  if (filter == null) return { sql: '', params: {} };
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new TypeError(
      `Expected a filter ({ column: value, ... } or { sql, params }) but received ${JSON.stringify(filter)}`,
    );
  }
  if ('sql' in filter && typeof filter.sql === 'string') return checkSqlFilter(filter as SqlFilter);
  const params: SqlParams = {};
  const parts: string[] = [];
  let n = 0;
  const bind = (type: string, value: unknown): string => {
    const name = `${OWN_PREFIX}f${n++}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  for (const [key, cond] of Object.entries(filter)) {
    if (cond === undefined) continue;
    if (key === 'idIn' || key === 'idNotIn') {
      const ids = Array.from(cond as ArrayLike<number | bigint>, (v, i) => checkValue(v, 'UInt64', key, `[${i}]`));
      if (key === 'idNotIn' && ids.length === 0) continue;
      parts.push(ids.length === 0 ? 'false' : `id ${key === 'idIn' ? 'IN' : 'NOT IN'} ${bind('Array(UInt64)', ids)}`);
      continue;
    }
    const type = columns.get(key);
    if (type === undefined || key === 'vec') {
      const known = [...columns.keys()].filter((c) => c !== 'vec');
      throw new TypeError(
        `filter names column "${key}", which the table does not have (it has: ${known.join(', ')}; and idIn, idNotIn)`,
      );
    }
    const t = paramType(type);
    const list = (vs: readonly Scalar[], op = '') => vs.map((v, i) => checkValue(v, type, key, `${op}[${i}]`));
    if (Array.isArray(cond)) {
      parts.push(cond.length === 0 ? 'false' : `${key} IN ${bind(`Array(${t})`, list(cond))}`);
    } else if (typeof cond === 'object' && cond !== null && !ArrayBuffer.isView(cond)) {
      for (const [op, v] of Object.entries(cond as Record<string, unknown>)) {
        if (v === undefined) continue;
        if (op === 'in' || op === 'notIn') {
          if (!Array.isArray(v)) throw new TypeError(`filter on ${key}: ${op} takes a list of values`);
          if (v.length === 0) {
            if (op === 'in') parts.push('false');
            continue;
          }
          parts.push(`${key} ${op === 'in' ? 'IN' : 'NOT IN'} ${bind(`Array(${t})`, list(v, `.${op}`))}`);
        } else if (op in OPS) {
          parts.push(`${key} ${OPS[op]} ${bind(t, checkValue(v, type, key, `.${op}`))}`);
        } else {
          throw new TypeError(`filter on ${key}: unknown comparison "${op}" (use eq, ne, in, notIn, gt, gte, lt, lte)`);
        }
      }
    } else {
      parts.push(`${key} = ${bind(t, checkValue(cond, type, key))}`);
    }
  }
  return { sql: parts.map((p) => `(${p})`).join(' AND '), params };
}

function checkSqlFilter(f: SqlFilter): { sql: string; params: SqlParams } {
  const sql = f.sql.trim();
  if (!sql) throw new TypeError('filter.sql is empty: give a condition such as "label = {breed:String}"');
  // chdb runs several ;-separated statements in one call: a filter is one expression.
  if (sql.includes(';')) {
    throw new TypeError(
      `filter.sql must be one condition without ";" (values go in filter.params as {name:Type}): ${JSON.stringify(sql.slice(0, 80))}`,
    );
  }
  const params = { ...(f.params ?? {}) };
  const used = new Set([...sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g)].map((m) => m[1]));
  for (const name of Object.keys(params)) {
    if (name.startsWith(OWN_PREFIX))
      throw new TypeError(`filter.params: names starting with "${OWN_PREFIX}" are the store's own (rename ${name})`);
    checkIdentifier(name, 'a filter parameter');
    if (!used.has(name))
      throw new TypeError(`filter.params.${name} is not used in filter.sql (write {${name}:Type} where it goes)`);
  }
  for (const name of used) {
    if (!(name in params)) throw new TypeError(`filter.sql uses {${name}:...}, but filter.params has no ${name}`);
  }
  return { sql, params };
}
