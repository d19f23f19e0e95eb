// Runs a script in a fresh Node process (with tsx, from the project root) and
// checks that it exited normally: native code must never take the process down.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The script's stdout; fails the test if the child died of a signal or exited non-zero. */
export function runInChild(script: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    cwd: path.join(__dirname, '..', '..'),
  });
  assert.equal(r.signal, null, `child died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
