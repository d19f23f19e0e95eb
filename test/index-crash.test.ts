// Issue 13: every call pattern that used to kill the process (faiss assertions,
// SIGFPE, exceptions inside OpenMP regions, damaged buffers, truncated integers)
// is refused with a clear error, or now works and matches brute force / Python
// faiss. The cases (test/support/crash-cases.ts) run in one child process, so a
// regression fails its case (with the signal) instead of killing mocha.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CASES } from './support/crash-cases';

interface Line {
  start?: string;
  name?: string;
  ok?: boolean;
  error?: string;
  skip?: string;
  note?: string;
  ms?: number;
}

describe('issue 13: the process survives what used to crash it', () => {
  const results = new Map<string, Line>();
  let death = '';

  before(async function () {
    this.timeout(300_000);
    const root = path.join(__dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'crash-child.ts')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    let last = '';
    for (const text of out.split('\n').filter(Boolean)) {
      const line = JSON.parse(text) as Line;
      if (line.start) last = line.start;
      else if (line.name) results.set(line.name, line);
    }
    if (signal || code !== 0) {
      const stderr = err
        .split('\n')
        .filter((l) => !l.startsWith('WARNING clustering'))
        .slice(-15)
        .join('\n');
      death = `the child process ${signal ? `died of ${signal}` : `exited with ${code}`} during case "${last}":\n${stderr}`;
    }
  });

  for (const name of Object.keys(CASES)) {
    it(name, function () {
      const r = results.get(name);
      if (!r) assert.fail(death || `case "${name}" did not report`);
      if (r.skip) this.skip();
      assert.ok(r.ok, r.error);
    });
  }

  it('the child process exited normally', () => {
    assert.equal(death, '');
  });
});
