// Issue 13's fuzz test: seeded random sequences of index calls, each in a child
// process (test/support/fuzz-child.ts). The test fails if a child dies of a
// signal, exits abnormally or hangs, and prints the seed, the last calls and how
// to run that sequence again. A few thousand calls here; a long run:
//
//   LAB_FUZZ_OPS=100000 node_modules/.bin/mocha --no-config -r tsx/cjs test/index-fuzz.test.ts
//
// LAB_FUZZ_OPS: calls in all (default 2400); LAB_FUZZ_SEQ: calls per child
// (default 300); LAB_FUZZ_SEED: the first seed (default 1; seeds run in order).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TOTAL = Number(process.env.LAB_FUZZ_OPS ?? 2400);
const SEQ = Math.min(TOTAL, Number(process.env.LAB_FUZZ_SEQ ?? 300));
const FIRST = Number(process.env.LAB_FUZZ_SEED ?? 1);
const CHILD = path.join(__dirname, 'support', 'fuzz-child.ts');
const ROOT = path.join(__dirname, '..');

interface Run {
  seed: number;
  ops: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  log: string;
}

function runChild(seed: number, ops: number, dir: string): Promise<Run> {
  const log = path.join(dir, `seed-${seed}.log`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(seed), String(ops), log], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    let timedOut = false;
    // A sequence takes a few seconds; minutes mean a hang (faiss looping forever).
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      60_000 + ops * 200,
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ seed, ops, code, signal, timedOut, stdout, stderr, log });
    });
  });
}

function lastCalls(file: string, n = 6): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .map((l) => `    ${l.slice(0, 400)}`)
      .join('\n');
  } catch {
    return '    (no log)';
  }
}

function report(r: Run): string {
  const how = r.timedOut
    ? 'hung (killed after the timeout)'
    : r.signal
      ? `died of ${r.signal}`
      : `exited with code ${r.code}`;
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('WARNING clustering'))
    .slice(-10)
    .join('\n');
  return (
    `fuzz seed ${r.seed} (${r.ops} calls) ${how}. Last calls (all in ${r.log}):\n${lastCalls(r.log)}\n` +
    `stderr:\n${stderr}\n` +
    `Again: LAB_FUZZ_SEED=${r.seed} LAB_FUZZ_OPS=${r.ops} LAB_FUZZ_SEQ=${r.ops} node_modules/.bin/mocha --no-config -r tsx/cjs test/index-fuzz.test.ts\n` +
    `   or: node --expose-gc --import tsx test/support/fuzz-child.ts ${r.seed} ${r.ops} /tmp/fuzz.log`
  );
}

describe('issue 13: random index calls never take the process down (fuzz)', function () {
  this.timeout(0);

  it(`runs ${TOTAL} calls in sequences of ${SEQ} from seed ${FIRST}, each in a child process that exits normally`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-fuzz-'));
    const seeds: Array<[number, number]> = [];
    for (let done = 0, s = FIRST; done < TOTAL; done += SEQ, s++) seeds.push([s, Math.min(SEQ, TOTAL - done)]);
    const failures: string[] = [];
    let refused = 0;
    const native: Record<string, number> = {};
    // Two children at a time (each runs faiss with 1-2 threads).
    const queue = [...seeds];
    const workers = Array.from({ length: Math.max(1, Math.min(2, os.cpus().length)) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const r = await runChild(next[0], next[1], dir);
        if (r.timedOut || r.signal || r.code !== 0) {
          failures.push(report(r));
          continue;
        }
        const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
          refused: number;
          native: Record<string, number>;
        };
        refused += summary.refused;
        for (const [k, v] of Object.entries(summary.native)) native[k] = (native[k] ?? 0) + v;
      }
    });
    await Promise.all(workers);
    const last = seeds[seeds.length - 1][0];
    console.log(
      `      fuzz: ${TOTAL} calls in ${seeds.length} sequences (seeds ${FIRST}..${last}), ${refused} refused with an error, ${failures.length} crashed`,
    );
    const nativeKinds = Object.entries(native).map(([k, v]) => `${v} x ${k}`);
    if (nativeKinds.length) console.log(`      C++ exceptions that were not faiss's own: ${nativeKinds.join('; ')}`);
    if (failures.length === 0) fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(failures.length, 0, failures.join('\n\n'));
  });
});
