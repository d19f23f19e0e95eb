// Seeded data sets shared by the tests, and a temporary folder per test file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusteredVectors } from '../../src/data/synthetic';
import type { Matrix } from '../../src/types';

/** Database and queries drawn from the same clusters, like photos of the same breeds. */
export function dataset(
  n: number,
  d: number,
  nq: number,
  clusters = 120,
  seed = 42,
  spread = 2.5,
): { xb: Matrix; xq: Matrix } {
  const all = clusteredVectors({ n: n + nq, d, clusters, seed, spread });
  // Queries are the last nq rows: other points of the same clusters, overlapping ones (spread 1).
  return {
    xb: { data: all.data.subarray(0, n * d), n, d },
    xq: { data: all.data.slice(n * d), n: nq, d },
  };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lab-${prefix}-`));
}

/** Asserts two exact-search results agree: same labels, distances within a relative tolerance. */
export function sameResults(
  a: { distances: Float32Array; labels: BigInt64Array },
  b: { distances: Float32Array; labels: BigInt64Array },
  rtol = 1e-5,
): void {
  if (a.labels.length !== b.labels.length) throw new Error(`lengths differ: ${a.labels.length} vs ${b.labels.length}`);
  for (let i = 0; i < a.labels.length; i++) {
    const da = a.distances[i];
    const db = b.distances[i];
    const tol = rtol * Math.max(1, Math.abs(da), Math.abs(db));
    if (!(da === db || Math.abs(da - db) <= tol)) throw new Error(`distance ${i}: ${da} vs ${db}`);
    if (a.labels[i] !== b.labels[i]) {
      throw new Error(`label ${i}: ${a.labels[i]} vs ${b.labels[i]} (distances ${da} vs ${db})`);
    }
  }
}

/** Every file under dir (which must exist), relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Every file under a folder with its size and mtime (links not followed): a snapshot to prove nothing changed. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.lstatSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}
