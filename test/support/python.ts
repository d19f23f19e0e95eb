// Runs the Python reference (Debian's /usr/bin/python3 with faiss and numpy).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const PYTHON = process.env.LAB_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '..', 'python', 'reference.py');

let available: boolean | undefined;

/** Whether the reference runs here. */
export function hasPythonFaiss(): boolean {
  if (available === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

/**
 * Skips the calling test where the reference is missing, except in CI, where a
 * missing reference is a failure (setup installs it there).
 */
export function requirePythonFaiss(ctx: Mocha.Context): void {
  if (hasPythonFaiss()) return;
  const why = `${PYTHON} with faiss and numpy not found (apt-get install python3-faiss python3-numpy)`;
  if (process.env.CI) throw new Error(why);
  ctx.skip();
}

/** Runs `reference.py <args>` and returns its stdout; throws with its stderr on failure. */
export function reference(...args: string[]): string {
  // Same environment as ours: OpenBLAS's thread count changes float summation order.
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reference.py ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
