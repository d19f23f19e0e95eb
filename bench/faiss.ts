/**
 * Comparison 1: FAISS through our binding vs Python faiss (same libfaiss), same
 * data, same operations. Both sides answer the same requests (ours in this
 * process, Python's in bench/python/faiss_worker.py) and take turns (see both()),
 * so drifts in machine load hit both alike.
 */
import * as path from 'path';
import {
  Index, IndexFlat, IndexFlatL2, IndexHNSWFlat, IndexIVFFlat, MetricType, clusteredVectors, writeIndex, readNpy, recallAtK, writeNpy,
} from '../src';
import type { Matrix } from '../src';
import { type Comparison, type Row, PYTHON, Worker, median } from './harness';

export interface FaissBenchOptions {
  n: number;
  reps: number;
  grid: 'small' | 'full';
  out: string;
}

type Request = { op: string; [key: string]: unknown };

/** Our side: the operations of faiss_worker.py, on our binding. */
class Ours {
  index?: Index;
  readonly labels = new Map<string, BigInt64Array>();

  constructor(private readonly xb: Matrix, private readonly xq: Matrix) {}

  request(req: Request): number {
    // The previous index is freed untimed, as Python frees it when the name is rebound.
    if (['flat', 'ivf', 'hnsw'].includes(req.op)) this.index?.dispose();
    const t0 = process.hrtime.bigint();
    const d = this.xb.d;
    const metric = req.metric === 'L1' ? MetricType.L1 : MetricType.L2;
    switch (req.op) {
      case 'flat':
        this.index = new IndexFlat(d, metric);
        this.index.add(this.xb);
        break;
      case 'ivf': {
        const ivf = new IndexIVFFlat(new IndexFlatL2(d), d, req.nlist as number);
        ivf.train(this.xb);
        this.index = ivf;
        break;
      }
      case 'ivf_add':
        this.index!.reset();
        this.index!.add(this.xb);
        break;
      case 'hnsw': {
        const hnsw = new IndexHNSWFlat(d, req.M as number, metric);
        hnsw.hnsw.efConstruction = req.efConstruction as number;
        hnsw.add(this.xb);
        this.index = hnsw;
        break;
      }
      case 'search': {
        if (req.efSearch !== undefined) (this.index as IndexHNSWFlat).hnsw.efSearch = req.efSearch as number;
        if (req.nprobe !== undefined) (this.index as IndexIVFFlat).nprobe = req.nprobe as number;
        const q: Matrix = { data: this.xq.data.subarray(0, (req.nq as number) * d), n: req.nq as number, d };
        const s0 = process.hrtime.bigint();
        const { labels } = this.index!.search(q, req.k as number);
        const seconds = Number(process.hrtime.bigint() - s0) / 1e9;
        if (req.key) this.labels.set(req.key as string, labels);
        return seconds;
      }
      default:
        throw new Error(`unknown op ${req.op}`);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  }
}

export async function faissComparison(o: FaissBenchOptions): Promise<Comparison> {
  const d = 512;
  const all = clusteredVectors({ n: o.n + 1000, d, clusters: 120, spread: 2.5, seed: 5 });
  const xb: Matrix = { data: all.data.subarray(0, o.n * d), n: o.n, d };
  const xq: Matrix = { data: all.data.slice(o.n * d), n: 1000, d };
  writeNpy(path.join(o.out, 'xb.npy'), xb.data, [o.n, d]);
  writeNpy(path.join(o.out, 'xq.npy'), xq.data, [1000, d]);

  const ours = new Ours(xb, xq);
  const py = new Worker('Python faiss', PYTHON, [path.join(__dirname, 'python', 'faiss_worker.py')]);
  await py.request({ op: 'load', xb: path.join(o.out, 'xb.npy'), xq: path.join(o.out, 'xq.npy') });

  const rows: Row[] = [];
  const results = new Map<string, string>();
  /**
   * Runs `req` `reps` times on each side and records the medians as one row.
   * Short calls (under 0.1 s) run as a block per side, who goes first alternating
   * from case to case: faiss's OpenMP threads spin for a while after each call, and
   * the spinning threads of the side that just ran would steal a core from the
   * other. Long calls take turns repetition by repetition, with a pause at each
   * switch, so that drifts in machine load over a long block hit both sides alike.
   */
  let turn = 0;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  const both = async (name: string, req: Request, reps = o.reps): Promise<{ ours: number; theirs: number }> => {
    const key = req.key as string | undefined;
    const save = key ? path.join(o.out, `py.${key}.I.npy`) : undefined;
    const a: number[] = [];
    const b: number[] = [];
    const oursOnce = async () => { a.push(ours.request(req)); };
    const theirsOnce = async () => { b.push(await py.seconds({ ...req, save: b.length === reps - 1 ? save : undefined })); };
    const [first, second] = turn++ % 2 === 0 ? [oursOnce, theirsOnce] : [theirsOnce, oursOnce];
    await first();
    const long = (a[0] ?? b[0]) > 0.1;
    if (long) {
      await settle();
      await second();
      for (let r = 1; r < reps; r++) {
        for (const side of r % 2 ? [second, first] : [first, second]) { await settle(); await side(); }
      }
    } else {
      for (let r = 1; r < reps; r++) await first();
      await settle();
      for (let r = 0; r < reps; r++) await second();
    }
    const row = { ours: median(a), theirs: median(b) };
    rows.push({ case: name, ours: row.ours, reference: row.theirs, ratio: row.ours / row.theirs, results: key ? same(key) : '' });
    return row;
  };
  const same = (key: string): string => {
    const theirs = readNpy(path.join(o.out, `py.${key}.I.npy`)).data as BigInt64Array;
    const mine = ours.labels.get(key)!;
    let equal = 0;
    for (let i = 0; i < mine.length; i++) if (mine[i] === theirs[i]) equal++;
    const recall = results.get(key);
    return (equal === mine.length ? 'identical' : `${((100 * equal) / mine.length).toFixed(1)}% same labels`) + (recall ? ` (${recall})` : '');
  };

  // Millisecond searches are noisier: many more repetitions (they cost little).
  const short = (nq: number) => (nq <= 10 ? o.reps * 10 : o.reps);
  const exact: Record<string, BigInt64Array> = {};
  for (const m of ['L2', 'L1']) {
    await both(`flat-${m} add`, { op: 'flat', metric: m });
    for (const nq of [1, 10, 1000]) await both(`flat-${m} search nq=${nq}`, { op: 'search', nq, k: 5, key: `flat-${m}.nq${nq}` }, short(nq));
    exact[m] = ours.labels.get(`flat-${m}.nq1000`)!;
  }

  const half = Math.max(1, o.reps >> 1);
  await both('ivf143 train', { op: 'ivf', nlist: 143 }, half);
  await both('ivf143 add', { op: 'ivf_add' }, half);
  for (const nprobe of [1, 8, 32]) {
    await both(`ivf143 search nprobe=${nprobe} nq=1000`, { op: 'search', nq: 1000, k: 5, nprobe, key: `ivf143.np${nprobe}` });
  }

  const [Ms, efCs] = o.grid === 'full' ? [[8, 16, 32], [40, 100, 200]] : [[16], [40]];
  let oursTotal = 0;
  let theirsTotal = 0;
  for (const m of ['L2', 'L1']) {
    for (const M of Ms) {
      for (const efC of efCs) {
        const build = await both(`hnsw-${m} M=${M} efC=${efC} build`, { op: 'hnsw', metric: m, M, efConstruction: efC }, 1);
        oursTotal += build.ours;
        theirsTotal += build.theirs;
        // Two multi-threaded builds make different graphs; searching the same one compares the bindings.
        const file = path.join(o.out, 'hnsw.index');
        writeIndex(ours.index!, file);
        await py.request({ op: 'read', file });
        for (const efS of [10, 50, 100]) {
          const key = `hnsw-${m}.M${M}.efC${efC}.efS${efS}`;
          const search = await both(`hnsw-${m} M=${M} efC=${efC} efS=${efS} search nq=10`, { op: 'search', nq: 10, k: 5, efSearch: efS, key }, short(10));
          results.set(key, `recall@5 ${recallAtK(exact[m].subarray(0, 10 * 5), ours.labels.get(key)!, 10, 5).toFixed(2)}`);
          rows[rows.length - 1].results = same(key);
          oursTotal += search.ours;
          theirsTotal += search.theirs;
        }
      }
    }
  }
  py.close();
  rows.push({
    case: 'hnsw grid total (builds + median searches)', ours: oursTotal, reference: theirsTotal, ratio: oursTotal / theirsTotal, results: '',
  });
  return {
    title: `1. FAISS: our binding vs Python faiss (${o.n} x ${d} clustered vectors, k=5, grid ${o.grid})`,
    reference: 'Python faiss (Debian python3-faiss, the same libfaiss 1.7.3)',
    unit: 's',
    goal: 'ratio <= 1.05 everywhere, results identical',
    rows,
    note: 'Calls under 0.1 s run as a block of repetitions per side (OpenMP threads spin after a call and would slow ' +
      'the other side), longer ones take turns repetition by repetition; who goes first alternates. Each side builds its own HNSW graph ' +
      '(on 2 threads, so any two builds differ), then both search ours (written with writeIndex, read with faiss.read_index), ' +
      'so search times and labels compare the bindings on the same graph. recall@5 is against the exact search.',
  };
}
