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
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
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

export function checkString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(name, 'a non-empty string', v);
  return v;
}

// The addon's vectorised scan when it loads; file formats and embeddings must work
// where the FAISS build failed, so the addon is loaded lazily and a plain loop stands in.
let scan: ((x: Float32Array) => number) | undefined;

/** Index of the first NaN or +-Infinity, or -1. */
export function firstNonFinite(x: Float32Array): number {
  if (!scan) {
    try {
      scan = (require('faiss-lab-native') as { firstNonFinite(x: Float32Array): number }).firstNonFinite;
    } catch {
      scan = firstNonFiniteJs;
    }
  }
  return scan(x);
}

/** The plain-TypeScript scan (the addon's stand-in and its test reference). */
export function firstNonFiniteJs(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

/**
 * Checks a row-major (n, d) float32 matrix: Float32Array, non-empty, length a
 * multiple of d, every value finite. Returns n.
 */
export function checkVectors(x: unknown, d: number, name = 'x'): number {
  if (!(x instanceof Float32Array)) {
    const hint = Array.isArray(x) || ArrayBuffer.isView(x) ? ' (convert with Float32Array.from(...); faiss works in float32)' : '';
    throw invalid(name, 'a Float32Array of n*d values' + hint, x);
  }
  if (x.length === 0) throw invalid(name, `at least one vector of d=${d} values`, x);
  if (x.length % d !== 0) {
    throw invalid(name, `a length that is a multiple of d=${d} (n vectors of ${d} values)`, x);
  }
  const bad = firstNonFinite(x);
  if (bad >= 0) {
    throw new ArgumentError(
      `${name} contains ${x[bad]} at row ${Math.floor(bad / d)}, column ${bad % d}: vectors must be finite numbers`,
    );
  }
  return x.length / d;
}
