// Argument checks shared by every module: tiny predicates and one error builder,
// so messages read the same everywhere ("Expected ... for ... but received ...").

/** Error thrown for a bad argument. `code` is stable for tests and callers. */
export class ArgumentError extends TypeError {
  readonly code = 'ERR_INVALID_ARG';
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value);
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

export function invalid(name: string, expected: string, received: unknown): ArgumentError {
  return new ArgumentError(`Expected ${expected} for ${name} but received ${describe(received)}`);
}

export function isInteger(v: unknown, min = -Infinity, max = Infinity): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

export function checkInteger(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isInteger(v, min, max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
    throw invalid(name, range, v);
  }
  return v;
}

/** The largest C `int` (faiss's d, M, efSearch, efConstruction are 32-bit ints). */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * An integer argument the native side keeps in a 32-bit C `int`: refused (not
 * truncated) outside [min, max], max at most 2**31 - 1. `2 ** 32 + 4` would
 * otherwise become 4, and `2 ** 31` would become -2147483648.
 */
export function checkInt32(v: unknown, name: string, min: number, max = INT32_MAX): number {
  const top = Math.min(max, INT32_MAX);
  if (!isInteger(v, min, top)) {
    if (top < INT32_MAX) throw invalid(name, `an integer between ${min} and ${top}`, v);
    const above = typeof v === 'number' && v > top;
    throw invalid(
      name,
      `an integer >= ${min}` + (above ? ` and <= ${top} (faiss keeps ${name} in a 32-bit C int)` : ''),
      v,
    );
  }
  return v;
}

/** A faiss id (int64, faiss's idx_t): a safe integer Number or a BigInt in the int64 range. */
export function checkInt64(v: unknown, name: string, min: bigint = -(2n ** 63n)): bigint {
  if (typeof v === 'bigint') {
    if (v >= min && v < 2n ** 63n) return v;
  } else if (isInteger(v, Number(min) < Number.MIN_SAFE_INTEGER ? -Infinity : Number(min))) {
    return BigInt(v);
  }
  throw invalid(name, `an int64 id >= ${min} (a safe integer Number or a BigInt)`, v);
}

/** A file path Node and C can both use: a non-empty string with no NUL byte (C would cut the path there). */
export function checkPath(v: unknown, name: string): string {
  checkString(v, name);
  if ((v as string).includes('\0')) {
    throw new ArgumentError(`${name} contains a NUL byte (\\0), which no file name can hold: remove it`);
  }
  return v as string;
}

export function checkString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(name, 'a non-empty string', v);
  return v;
}

/** FLT_MAX, the largest finite float32 (faiss computes distances in float32). */
export const FLT_MAX = 3.4028234663852886e38;

/**
 * The largest |value| an index of dimension d accepts: sqrt(FLT_MAX / (16 d)),
 * as a float32 (1.6e18 for d = 8, 2.0e17 for d = 512). Below it a squared L2
 * distance, at most d * (2 * limit)^2, stays under FLT_MAX / 4 (room for float32
 * rounding in sums and norms); above it distances overflow to Infinity, then NaN,
 * and faiss's k-means and list assignment read out of bounds or abort.
 */
export function valueLimit(d: number): number {
  return Math.fround(Math.sqrt(FLT_MAX / (16 * d)) * (1 - 1e-6));
}

// The addon's vectorised scan when it loads; file formats and embeddings must work
// where the FAISS build failed, so the addon is loaded lazily and a plain loop stands in.
let scan: ((x: Float32Array, limit?: number) => number) | undefined;

/**
 * Index of the first NaN or +-Infinity, or -1; given a limit, of the first value
 * whose magnitude exceeds it (NaN and Infinity included).
 */
export function firstNonFinite(x: Float32Array, limit?: number): number {
  if (!scan) {
    try {
      scan = (require('faiss-lab-native') as { firstNonFinite(x: Float32Array, limit?: number): number })
        .firstNonFinite;
    } catch {
      scan = firstNonFiniteJs;
    }
  }
  return scan(x, limit);
}

/** The plain-TypeScript scan (the addon's stand-in and its test reference). */
export function firstNonFiniteJs(x: Float32Array, limit = FLT_MAX): number {
  for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i]) <= limit)) return i;
  return -1;
}

function fmtValue(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential(3).replace(/\.?0+e/, 'e') : String(v);
}

/**
 * Checks a row-major (n, d) float32 matrix: Float32Array, length a multiple of d
 * (non-empty unless allowEmpty: faiss takes a batch of 0 vectors), every value
 * finite and, given a limit (see valueLimit), no |value| above it. Returns n.
 */
export function checkVectors(x: unknown, d: number, name = 'x', limit?: number, allowEmpty = false): number {
  if (!(x instanceof Float32Array)) {
    const hint =
      Array.isArray(x) || ArrayBuffer.isView(x) ? ' (convert with Float32Array.from(...); faiss works in float32)' : '';
    throw invalid(name, 'a Float32Array of n*d values' + hint, x);
  }
  if (x.length === 0 && !allowEmpty) throw invalid(name, `at least one vector of d=${d} values`, x);
  if (x.length % d !== 0) {
    throw invalid(name, `a length that is a multiple of d=${d} (n vectors of ${d} values)`, x);
  }
  let bad = firstNonFinite(x, limit);
  if (bad >= 0 && limit !== undefined && Number.isFinite(x[bad])) {
    const nonFinite = firstNonFinite(x);
    if (nonFinite < 0) {
      for (let i = bad + 1; i < x.length; i++) if (Math.abs(x[i]) > Math.abs(x[bad])) bad = i;
      throw new ArgumentError(
        `${name} holds ${fmtValue(x[bad])} at row ${Math.floor(bad / d)}, column ${bad % d}, its largest |value|: ` +
          `with d=${d}, faiss's squared distances overflow float32 (to Infinity, then NaN) for values beyond ` +
          `±${fmtValue(limit)}: scale the vectors down (dividing all of them by one constant keeps every neighbour)`,
      );
    }
    bad = nonFinite;
  }
  if (bad >= 0) {
    throw new ArgumentError(
      `${name} contains ${x[bad]} at row ${Math.floor(bad / d)}, column ${bad % d}: vectors must be finite numbers`,
    );
  }
  return x.length / d;
}
