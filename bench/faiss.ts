/**
 * Comparison 1: FAISS through our binding vs Python faiss (same libfaiss), same
 * data, same operations (bench/python/faiss_bench.py mirrors this file case by case).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import {
  IndexFlat, IndexFlatL2, IndexHNSWFlat, IndexIVFFlat, MetricType, clusteredVectors, metricName, readNpy, recallAtK, writeNpy,
} from '../src';
import type { Matrix } from '../src';
import { type Comparison, type Row, median, PYTHON } from './harness';

export interface FaissBenchOptions {
  n: number;
  reps: number;
  grid: 'small' | 'full';
  out: string;
}

export function faissComparison(o: FaissBenchOptions): Comparison {
  const d = 512;
  const all = clusteredVectors({ n: o.n + 1000, d, clusters: 120, spread: 2.5, seed: 5 });
  const xb: Matrix = { data: all.data.subarray(0, o.n * d), n: o.n, d };
  const xq: Matrix = { data: all.data.slice(o.n * d), n: 1000, d };
  const rows = (nq: number): Matrix => ({ data: xq.data.subarray(0, nq * d), n: nq, d });
  writeNpy(path.join(o.out, 'xb.npy'), xb.data, [o.n, d]);
  writeNpy(path.join(o.out, 'xq.npy'), xq.data, [1000, d]);

  const ours: Record<string, number> = {};
  const labels: Record<string, BigInt64Array> = {};
  const timed = <T>(name: string, fn: () => T, reps = o.reps): T => {
    const times: number[] = [];
    let value!: T;
    for (let r = 0; r < reps; r++) {
      const t0 = process.hrtime.bigint();
      value = fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    ours[name] = median(times);
    return value;
  };

  const exact: Record<string, BigInt64Array> = {};
  for (const metric of [MetricType.L2, MetricType.L1]) {
    const m = metricName(metric);
    const index = timed(`flat-${m} add`, () => {
      const i = new IndexFlat(d, metric);
      i.add(xb);
      return i;
    });
    for (const nq of [1, 10, 1000]) {
      labels[`flat-${m}.nq${nq}`] = timed(`flat-${m} search nq=${nq}`, () => index.search(rows(nq), 5)).labels;
    }
    exact[m] = labels[`flat-${m}.nq1000`];
  }

  const ivf = timed('ivf143 train', () => {
    const i = new IndexIVFFlat(new IndexFlatL2(d), d, 143);
    i.train(xb);
    return i;
  }, Math.max(1, o.reps >> 1));
  timed('ivf143 add', () => { ivf.reset(); ivf.add(xb); }, Math.max(1, o.reps >> 1));
  for (const nprobe of [1, 8, 32]) {
    ivf.nprobe = nprobe;
    labels[`ivf143.np${nprobe}`] = timed(`ivf143 search nprobe=${nprobe} nq=1000`, () => ivf.search(xq, 5)).labels;
  }

  const [Ms, efCs] = o.grid === 'full' ? [[8, 16, 32], [40, 100, 200]] : [[16], [40]];
  let total = 0;
  const recalls: Record<string, number> = {};
  for (const metric of [MetricType.L2, MetricType.L1]) {
    const m = metricName(metric);
    for (const M of Ms) {
      for (const efC of efCs) {
        const index = new IndexHNSWFlat(d, M, metric);
        index.hnsw.efConstruction = efC;
        const t0 = process.hrtime.bigint();
        index.add(xb);
        const build = Number(process.hrtime.bigint() - t0) / 1e9;
        ours[`hnsw-${m} M=${M} efC=${efC} build`] = build;
        total += build;
        for (const efS of [10, 50, 100]) {
          index.hnsw.efSearch = efS;
          const name = `hnsw-${m} M=${M} efC=${efC} efS=${efS} search nq=10`;
          const I = timed(name, () => index.search(rows(10), 5), o.reps * 4).labels;
          total += ours[name];
          const key = `hnsw-${m}.M${M}.efC${efC}.efS${efS}`;
          labels[key] = I;
          recalls[key] = recallAtK(exact[m].subarray(0, 10 * 5), I, 10, 5);
        }
      }
    }
  }
  ours['hnsw grid total (builds + median searches)'] = total;

  const py = spawnSync(PYTHON, [path.join(__dirname, 'python', 'faiss_bench.py'), path.join(o.out, 'xb.npy'),
    path.join(o.out, 'xq.npy'), o.out, String(o.reps), o.grid], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (py.status !== 0) throw new Error(`Python faiss bench failed:\n${py.stderr}`);
  const ref = JSON.parse(py.stdout) as Record<string, number>;

  const same = (key: string | undefined): string => {
    if (!key) return '';
    const theirs = readNpy(path.join(o.out, `py.${key}.I.npy`)).data as BigInt64Array;
    const mine = labels[key];
    let equal = 0;
    for (let i = 0; i < mine.length; i++) if (mine[i] === theirs[i]) equal++;
    return equal === mine.length ? 'identical' : `${((100 * equal) / mine.length).toFixed(1)}% same labels`;
  };
  const keyOf = (name: string): string | undefined => {
    let m = /^flat-(\w+) search nq=(\d+)$/.exec(name);
    if (m) return `flat-${m[1]}.nq${m[2]}`;
    m = /^ivf143 search nprobe=(\d+)/.exec(name);
    if (m) return `ivf143.np${m[1]}`;
    m = /^hnsw-(\w+) M=(\d+) efC=(\d+) efS=(\d+)/.exec(name);
    return m ? `hnsw-${m[1]}.M${m[2]}.efC${m[3]}.efS${m[4]}` : undefined;
  };
  const rowsOut: Row[] = Object.keys(ours).map((name) => {
    const k = keyOf(name);
    return {
      case: name, ours: ours[name], reference: ref[name], ratio: ours[name] / ref[name],
      results: same(k) + (k && recalls[k] !== undefined ? ` (recall@5 ${recalls[k].toFixed(2)})` : ''),
    };
  });
  return {
    title: `1. FAISS: our binding vs Python faiss (${o.n} x ${d} clustered vectors, k=5, grid ${o.grid})`,
    reference: 'Python faiss (Debian python3-faiss, the same libfaiss 1.7.3)',
    unit: 's',
    goal: 'ratio <= 1.05 everywhere, results identical',
    rows: rowsOut,
    note: 'HNSW builds run on 2 threads, so graphs (and some labels) differ between any two builds, ours or Python\'s; ' +
      'recall@5 is against our exact search.',
  };
}
