/**
 * bench/faiss.ts's own side (class Ours) in a worker process, on another build of
 * the addon: LAB_FAISS_ADDON names a folder laid out like native/faiss and built
 * against another faiss (bench/faiss.ts builds one on Debian's generic libfaiss).
 * Answers one JSON request per line, the same as bench/python/faiss_worker.py:
 *   {op: 'load', xb, xq}  -> {}   the data (.npy)
 *   {op: 'info'}          -> {faissBuild, faissVersion}
 *   flat, ivf, ivf_add, hnsw, read, search (see Ours) -> {seconds}
 */
import Module = require('node:module');

import * as path from 'node:path';
import * as readline from 'node:readline';

// Before the library loads: 'faiss-lab-native' resolves to that other build.
const addon = process.env.LAB_FAISS_ADDON;
if (addon) {
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'faiss-lab-native'
      ? path.join(addon, 'lib', 'binding.js')
      : resolve.call(this, request, ...rest);
  };
}
/* eslint-disable @typescript-eslint/no-require-imports */
const lab = require('../src/internal') as typeof import('../src/internal');
const { Ours } = require('./faiss') as typeof import('./faiss');

let ours: InstanceType<typeof Ours> | undefined;

function handle(req: { op: string; [key: string]: unknown }): object {
  if (req.op === 'load') {
    const matrix = (file: string) => {
      const a = lab.readNpy(file);
      return { data: a.data as Float32Array, n: a.shape[0], d: a.shape[1] };
    };
    ours = new Ours(matrix(req.xb as string), matrix(req.xq as string));
    return {};
  }
  if (req.op === 'info') return { faissBuild: lab.faissBuild, faissVersion: lab.faissVersion };
  if (!ours) throw new Error('load the data first');
  return { seconds: ours.request(req) };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply: object;
  try {
    reply = handle(JSON.parse(line));
  } catch (e) {
    reply = { error: (e as Error).message };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
