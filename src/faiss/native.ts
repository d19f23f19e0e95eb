/**
 * The faiss addon (native/faiss), loaded on first use, and what it says about
 * itself: faiss's version, which build it links, OpenMP threads.
 */
import * as os from 'node:os';
import type * as Addon from 'faiss-lab-native';
import { checkInteger } from '../util/check';

// Loaded on first use, so the rest of the library (file formats, embeddings,
// display) still imports where the FAISS build failed; the first FAISS call then
// throws the addon's own error, which lists the ways to fix it.
let addon: typeof Addon | undefined;
export const native = new Proxy({} as typeof Addon, {
  get: (_, name) => {
    addon ??= require('faiss-lab-native') as typeof Addon;
    return addon[name as keyof typeof Addon];
  },
});
/** The faiss version the addon was built against, e.g. "1.7.3" ("unavailable" if the addon does not load). */
export const faissVersion: string = (() => {
  try {
    return native.faissVersion;
  } catch {
    return 'unavailable';
  }
})();
/** Which faiss library the addon links: 'avx2' (setup's build), 'generic' (Debian's), 'prefix:<dir>' or 'conda:<env>'. */
export const faissBuild: string = (() => {
  try {
    return native.faissBuild;
  } catch {
    return 'unavailable';
  }
})();

/** Threads faiss uses (OpenMP), like faiss.omp_get_max_threads(). */
export function ompGetMaxThreads(): number {
  return native.ompGetMaxThreads();
}

/**
 * The most threads ompSetNumThreads accepts: 4 per core, at least 64. More only
 * slow faiss down, and thousands can exceed the process's thread limit, which
 * OpenMP answers by ending the process.
 */
export const OMP_MAX_THREADS = Math.min(1024, Math.max(64, 4 * os.availableParallelism()));

/** Sets the threads faiss uses, like faiss.omp_set_num_threads(n) (1 .. OMP_MAX_THREADS). */
export function ompSetNumThreads(n: number): void {
  native.ompSetNumThreads(checkInteger(n, 'n (threads, at most 4 per core)', 1, OMP_MAX_THREADS));
}
