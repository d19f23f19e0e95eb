/**
 * The explorer's filters, checked once and applied two ways: as the ids a FAISS
 * search may return (an IDSelectorBatch) and as a WHERE for the SQL store, with
 * every value a bound parameter. Both read the same columns: breed (the store's
 * label), pose, the bounding box (xmin, ymin, xmax, ymax, in the photo's pixels,
 * as the course gives them) and the session's labels.
 *
 * @example
 * const f = parseFilters({ breeds: ['beagle'], box: { minWidth: 200 } }, { breeds, poses });
 * allowedIds(f, rows, labelled);   // [3, 17, ...]: beagles whose box is at least 200 pixels wide
 * sqlWhere(f, labelled);           // { sql: 'label IN {breeds:Array(String)} AND (xmax - xmin) >= ...', params }
 */
import type { PhotoRow } from '../io/vectors-csv';
import type { SqlFilter } from '../sql/filter';
import { badRequest } from './errors';

/** Box sides in pixels, each bound optional: width = xmax - xmin, height = ymax - ymin. */
export interface BoxFilter {
  minWidth?: number;
  maxWidth?: number;
  minHeight?: number;
  maxHeight?: number;
}

export interface Filters {
  breeds: string[];
  poses: string[];
  /** Only photos the session has not labelled. */
  unlabelled: boolean;
  box: BoxFilter;
}

/** The largest box side a filter may name (pixels). */
export const BOX_MAX = 100_000;
const BOX_KEYS = ['minWidth', 'maxWidth', 'minHeight', 'maxHeight'] as const;
const FILTER_KEYS = ['breeds', 'poses', 'unlabelled', 'box'];

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function stringList(v: unknown, name: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((s) => typeof s === 'string')) throw badRequest(`${name} must be a list of names (got ${show(v)})`);
  return list as string[];
}

/** The data set's names a filter may use, and the message for an unknown breed. */
export interface FilterVocabulary {
  breeds: ReadonlySet<string>;
  poses: ReadonlySet<string>;
  checkBreed(b: string): string;
}

/** Checks the filters a request sends ({ breeds, poses, unlabelled, box }; all optional). */
export function parseFilters(v: unknown, known: FilterVocabulary): Filters {
  if (v === undefined || v === null) return { breeds: [], poses: [], unlabelled: false, box: {} };
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`filters must be an object (got ${show(v)})`);
  const f = v as Record<string, unknown>;
  const extra = Object.keys(f).filter((k) => !FILTER_KEYS.includes(k));
  if (extra.length) throw badRequest(`filters have no ${show(extra[0])} (they have: ${FILTER_KEYS.join(', ')})`);
  const breeds = stringList(f.breeds, 'filters.breeds').map((b) => known.checkBreed(b));
  const poses = stringList(f.poses, 'filters.poses').map((p) => {
    if (!known.poses.has(p)) throw badRequest(`unknown pose ${show(p)}: the poses are ${[...known.poses].join(', ')}`);
    return p;
  });
  if (f.unlabelled !== undefined && typeof f.unlabelled !== 'boolean')
    throw badRequest(`filters.unlabelled must be true or false (got ${show(f.unlabelled)})`);
  return { breeds, poses, unlabelled: f.unlabelled === true, box: parseBox(f.box) };
}

function parseBox(v: unknown): BoxFilter {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw badRequest(`filters.box must be { minWidth, maxWidth, minHeight, maxHeight } in pixels (got ${show(v)})`);
  const b = v as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !(BOX_KEYS as readonly string[]).includes(k));
  if (extra.length) throw badRequest(`filters.box has no ${show(extra[0])} (it has: ${BOX_KEYS.join(', ')})`);
  const out: BoxFilter = {};
  for (const key of BOX_KEYS) {
    const x = b[key];
    if (x === undefined || x === null || x === '') continue;
    const n = typeof x === 'number' ? x : typeof x === 'string' && /^\d{1,9}$/.test(x.trim()) ? Number(x) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > BOX_MAX)
      throw badRequest(`filters.box.${key} must be a whole number of pixels from 0 to ${BOX_MAX} (got ${show(x)})`);
    out[key] = n;
  }
  for (const side of ['Width', 'Height'] as const) {
    const lo = out[`min${side}`];
    const hi = out[`max${side}`];
    if (lo !== undefined && hi !== undefined && lo > hi)
      throw badRequest(`filters.box.min${side} is ${lo}, above max${side} ${hi}: no box passes`);
  }
  return out;
}

export function filtersEmpty(f: Filters): boolean {
  return !f.breeds.length && !f.poses.length && !f.unlabelled && Object.keys(f.box).length === 0;
}

/** Whether a row's box passes (a row without a box, all zeros, has sides 0). */
function boxPasses(r: PhotoRow, b: BoxFilter): boolean {
  const w = r.xmax - r.xmin;
  const h = r.ymax - r.ymin;
  return (
    (b.minWidth === undefined || w >= b.minWidth) &&
    (b.maxWidth === undefined || w <= b.maxWidth) &&
    (b.minHeight === undefined || h >= b.minHeight) &&
    (b.maxHeight === undefined || h <= b.maxHeight)
  );
}

/** The ids passing the filters, or undefined when nothing is filtered. */
export function allowedIds(
  f: Filters,
  rows: readonly PhotoRow[],
  labelled: { has(id: number): boolean },
): number[] | undefined {
  if (filtersEmpty(f)) return undefined;
  const b = new Set(f.breeds);
  const p = new Set(f.poses);
  const boxed = Object.keys(f.box).length > 0;
  const ids: number[] = [];
  rows.forEach((r, id) => {
    if (b.size && !b.has(r.class)) return;
    if (p.size && !p.has(r.pose)) return;
    if (f.unlabelled && labelled.has(id)) return;
    if (boxed && !boxPasses(r, f.box)) return;
    ids.push(id);
  });
  return ids;
}

/** The filters as the SQL store's WHERE (undefined when nothing is filtered); values are bound parameters. */
export function sqlWhere(f: Filters, labelled: Iterable<number>): SqlFilter | undefined {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.breeds.length) {
    parts.push('label IN {breeds:Array(String)}');
    params.breeds = f.breeds;
  }
  if (f.poses.length) {
    parts.push('pose IN {poses:Array(String)}');
    params.poses = f.poses;
  }
  if (f.unlabelled) {
    const ids = [...labelled].sort((a, b) => a - b);
    if (ids.length) {
      parts.push('id NOT IN {labelled:Array(UInt64)}');
      params.labelled = ids;
    }
  }
  const sides: Array<[keyof BoxFilter, string, string, string]> = [
    ['minWidth', 'xmax - xmin', '>=', 'min_width'],
    ['maxWidth', 'xmax - xmin', '<=', 'max_width'],
    ['minHeight', 'ymax - ymin', '>=', 'min_height'],
    ['maxHeight', 'ymax - ymin', '<=', 'max_height'],
  ];
  for (const [key, expr, op, name] of sides) {
    if (f.box[key] === undefined) continue;
    parts.push(`(${expr}) ${op} {${name}:Float64}`);
    params[name] = f.box[key];
  }
  return parts.length ? { sql: parts.join(' AND '), params } : undefined;
}
