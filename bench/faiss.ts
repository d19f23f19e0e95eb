/**
 * Comparison 1: FAISS through our binding vs Python faiss, same data, same
 * operations. Ours is the default build a student gets (setup's AVX2 build of
 * Debian's faiss source where the CPU has AVX2), in this process; the reference is
 * Debian's python3-faiss (generic libfaiss), in bench/python/faiss_worker.py. A third
 * side, our binding linked to Debian's own libfaiss (a second build of the addon, in
 * bench/faiss-worker.ts), shows what the binding itself costs ("same lib"). The sides
 * answer the same requests and take turns (see both()), so drifts in machine load hit
 * all alike.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Matrix } from '../src/internal';
import {
  clusteredVectors,
  faissBuild,
  type Index,
  IndexFlat,
  IndexFlatL2,
  IndexHNSWFlat,
  IndexIVFFlat,
  labelRecall,
  MetricType,
  readIndex,
  readNpy,
  writeIndex,
  writeNpy,
} from '../src/internal';
import { type Comparison, median, PYTHON, type Row, Worker } from './harness';

export interface FaissBenchOptions {
  n: number;
  reps: number;
  grid: 'small' | 'full';
  out: string;
}

type Request = { op: string; [key: string]: unknown };

/** Our side: the operations of faiss_worker.py, on our binding (also run by bench/faiss-worker.ts). */
export class Ours {
  index?: Index;
  readonly labels = new Map<string, BigInt64Array>();

  constructor(
    private readonly xb: Matrix,
    private readonly xq: Matrix,
  ) {}

  request(req: Request): number {
    // The previous index is freed untimed, as Python frees it when the name is rebound.
    if (['flat', 'ivf', 'hnsw', 'read'].includes(req.op)) this.index?.dispose();
    if (req.op === 'read') {
      this.index = readIndex(req.file as string);
      return 0;
    }
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

/**
 * Our addon once more, linked to Debian's generic libfaiss (LAB_FAISS_BUILD=0), in
 * out/native-generic: the "same lib" side. Undefined where the default build is Debian's already.
 */
function genericAddon(out: string): string | undefined {
  if (faissBuild === 'generic') return undefined;
  const dir = path.join(out, 'native-generic');
  const native = path.join(__dirname, '..', 'native', 'faiss');
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of ['binding.gyp', 'package.json', 'src', 'lib'])
    fs.cpSync(path.join(native, f), path.join(dir, f), { recursive: true });
  console.log(`[bench] building our addon on Debian's generic libfaiss too (${dir}), for the same-library ratio`);
  // npm runs the package's install script (lib/build.js) with its bundled node-gyp.
  const r = spawnSync('npm', ['run', 'install', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LAB_FAISS_BUILD: '0', FAISS_PREFIX: '', CONDA_PREFIX: '' },
  });
  if (r.status !== 0) throw new Error(`building the addon on Debian's libfaiss failed:\n${r.stdout}\n${r.stderr}`);
  return dir;
}

export async function faissComparison(o: FaissBenchOptions): Promise<Comparison> {
  const d = 512;
  const all = clusteredVectors({ n: o.n + 1000, d, clusters: 120, spread: 2.5, seed: 5 });
  const xb: Matrix = { data: all.data.subarray(0, o.n * d), n: o.n, d };
  const xq: Matrix = { data: all.data.slice(o.n * d), n: 1000, d };
  writeNpy(path.join(o.out, 'xb.npy'), xb.data, [o.n, d]);
  writeNpy(path.join(o.out, 'xq.npy'), xq.data, [1000, d]);

  const ours = new Ours(xb, xq);
  const loadData = { op: 'load', xb: path.join(o.out, 'xb.npy'), xq: path.join(o.out, 'xq.npy') };
  const py = new Worker('Python faiss', PYTHON, [path.join(__dirname, 'python', 'faiss_worker.py')]);
  await py.request(loadData);
  const pyInfo = await py.request<{ version: string; compileOptions: string }>({ op: 'info' });
  const addon = genericAddon(o.out);
  const generic = addon
    ? new Worker(
        "our binding on Debian's libfaiss",
        process.execPath,
        [require.resolve('tsx/cli'), path.join(__dirname, 'faiss-worker.ts')],
        { ...process.env, LAB_FAISS_ADDON: addon },
      )
    : undefined;
  if (generic) {
    await generic.request(loadData);
    const { faissBuild: build } = await generic.request<{ faissBuild: string }>({ op: 'info' });
    if (build !== 'generic')
      throw new Error(`the same-library side links faiss build ${build}, not Debian's generic one`);
  }

  const rows: Row[] = [];
  const results = new Map<string, string>();
  /** The sides: ours (default build) in this process, Python faiss, our binding on Debian's libfaiss. */
  const sides: Array<(req: Request, save?: string) => Promise<number>> = [
    async (req) => ours.request(req),
    (req, save) => py.seconds({ ...req, save }),
  ];
  if (generic) sides.push((req) => generic.seconds(req));
  const rotate = <T>(xs: T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]);
  /**
   * Runs `req` `reps` times on each side and records the medians as one row.
   * Short calls (under 0.1 s) run as a block per side, who goes first rotating
   * from case to case: faiss's OpenMP threads spin for a while after each call, and
   * the spinning threads of the side that just ran would steal a core from the
   * next. Long calls take turns repetition by repetition (the order rotating), with
   * a pause at each switch, so that drifts in machine load over a long block hit all sides alike.
   */
  let turn = 0;
  const load: number[] = []; // the 1-minute load average at each case: other jobs on the machine make every side slower
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
  const both = async (
    name: string,
    req: Request,
    reps = o.reps,
  ): Promise<{ ours: number; theirs: number; generic: number }> => {
    const key = req.key as string | undefined;
    const save = key ? path.join(o.out, `py.${key}.I.npy`) : undefined;
    const times: number[][] = sides.map(() => []);
    load.push(os.loadavg()[0]);
    // Python saves its labels on its last repetition.
    const once = async (i: number) => {
      times[i].push(await sides[i](req, i === 1 && times[i].length === reps - 1 ? save : undefined));
    };
    const order = rotate(
      sides.map((_, i) => i),
      turn++ % sides.length,
    );
    await once(order[0]);
    const long = times[order[0]][0] > 0.1;
    if (long) {
      for (const i of order.slice(1)) {
        await settle();
        await once(i);
      }
      for (let r = 1; r < reps; r++) {
        for (const i of rotate(order, r)) {
          await settle();
          await once(i);
        }
      }
    } else {
      for (let r = 1; r < reps; r++) await once(order[0]);
      for (const i of order.slice(1)) {
        await settle();
        for (let r = 0; r < reps; r++) await once(i);
      }
    }
    const [a, b, c] = times.map((t) => (t.length ? median(t) : NaN));
    rows.push({ case: name, ours: a, reference: b, ratio: a / b, results: '' });
    const row = rows[rows.length - 1];
    row.results = described(key, c / b);
    return { ours: a, theirs: b, generic: c };
  };
  const same = (key: string): string => {
    const theirs = readNpy(path.join(o.out, `py.${key}.I.npy`)).data as BigInt64Array;
    const mine = ours.labels.get(key)!;
    let equal = 0;
    for (let i = 0; i < mine.length; i++) if (mine[i] === theirs[i]) equal++;
    const recall = results.get(key);
    return (
      (equal === mine.length ? 'identical' : `${((100 * equal) / mine.length).toFixed(1)}% same labels`) +
      (recall ? ` (${recall})` : '')
    );
  };
  /** The results column: labels against Python's, then the same-library ratio. */
  const described = (key: string | undefined, sameLib: number): string =>
    [key ? same(key) : '', Number.isFinite(sameLib) ? `same lib ${sameLib.toFixed(2)}` : ''].filter(Boolean).join('; ');

  // Millisecond searches are noisier: many more repetitions (they cost little).
  const short = (nq: number) => (nq <= 10 ? o.reps * 10 : o.reps);
  const exact: Record<string, BigInt64Array> = {};
  for (const m of ['L2', 'L1']) {
    await both(`flat-${m} add`, { op: 'flat', metric: m });
    for (const nq of [1, 10, 1000])
      await both(`flat-${m} search nq=${nq}`, { op: 'search', nq, k: 5, key: `flat-${m}.nq${nq}` }, short(nq));
    exact[m] = ours.labels.get(`flat-${m}.nq1000`)!;
  }

  const half = Math.max(1, o.reps >> 1);
  await both('ivf143 train', { op: 'ivf', nlist: 143 }, half);
  await both('ivf143 add', { op: 'ivf_add' }, half);
  for (const nprobe of [1, 8, 32]) {
    await both(`ivf143 search nprobe=${nprobe} nq=1000`, {
      op: 'search',
      nq: 1000,
      k: 5,
      nprobe,
      key: `ivf143.np${nprobe}`,
    });
  }

  const [Ms, efCs] =
    o.grid === 'full'
      ? [
          [8, 16, 32],
          [40, 100, 200],
        ]
      : [[16], [40]];
  let oursTotal = 0;
  let theirsTotal = 0;
  let genericTotal = 0;
  let buildsOurs = 0;
  let buildsTheirs = 0;
  for (const m of ['L2', 'L1']) {
    for (const M of Ms) {
      for (const efC of efCs) {
        const build = await both(
          `hnsw-${m} M=${M} efC=${efC} build`,
          { op: 'hnsw', metric: m, M, efConstruction: efC },
          1,
        );
        oursTotal += build.ours;
        theirsTotal += build.theirs;
        genericTotal += build.generic;
        buildsOurs += build.ours;
        buildsTheirs += build.theirs;
        // Two multi-threaded builds make different graphs; searching the same one compares the bindings.
        const file = path.join(o.out, 'hnsw.index');
        writeIndex(ours.index!, file);
        await py.request({ op: 'read', file });
        await generic?.request({ op: 'read', file });
        for (const efS of [10, 50, 100]) {
          const key = `hnsw-${m}.M${M}.efC${efC}.efS${efS}`;
          const search = await both(
            `hnsw-${m} M=${M} efC=${efC} efS=${efS} search nq=10`,
            { op: 'search', nq: 10, k: 5, efSearch: efS, key },
            short(10),
          );
          results.set(
            key,
            `recall@5 ${labelRecall(exact[m].subarray(0, 10 * 5), ours.labels.get(key)!, 10, 5).toFixed(2)}`,
          );
          rows[rows.length - 1].results = described(key, search.generic / search.theirs);
          oursTotal += search.ours;
          theirsTotal += search.theirs;
          genericTotal += search.generic;
        }
      }
    }
  }
  py.close();
  generic?.close();
  const builds = Ms.length * efCs.length * 2;
  rows.push({
    case: `hnsw grid: the ${builds} builds`,
    ours: buildsOurs,
    reference: buildsTheirs,
    ratio: buildsOurs / buildsTheirs,
    results: `${(buildsTheirs / buildsOurs).toFixed(1)}x faster`,
  });
  rows.push({
    case: 'hnsw grid total (builds + median searches)',
    ours: oursTotal,
    reference: theirsTotal,
    ratio: oursTotal / theirsTotal,
    results: [
      `${(theirsTotal / oursTotal).toFixed(1)}x faster`,
      generic ? `same lib ${(genericTotal / theirsTotal).toFixed(2)}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  });
  const lib =
    faissBuild === 'avx2'
      ? "setup's AVX2 build of Debian's faiss source"
      : faissBuild === 'generic'
        ? "Debian's libfaiss"
        : faissBuild;
  return {
    title: `1. FAISS: our binding (default build: ${faissBuild}) vs Python faiss (${o.n} x ${d} clustered vectors, k=5, grid ${o.grid})`,
    reference: `Python faiss as Debian ships it (python3-faiss ${pyInfo.version}, ${pyInfo.compileOptions}); ours links ${lib}`,
    unit: 's',
    goal:
      'results identical; ratio = the speed a student gets with the default build (below 1: faster), the grid total is the headline' +
      (generic
        ? '; same lib <= 1.05 (the binding itself costs nothing)'
        : ', <= 1.05 (same library: the binding itself costs nothing)'),
    rows,
    note:
      (generic
        ? '"same lib": our binding linked to Debian\'s own libfaiss (a second build of the addon, LAB_FAISS_BUILD=0, in a worker ' +
          'process) / Python faiss, i.e. what the binding itself costs; the ratio column is what the faster library adds. '
        : '') +
      'Calls under 0.1 s run as a block of repetitions per side (OpenMP threads spin after a call and would slow ' +
      'the next side), longer ones take turns repetition by repetition; who goes first rotates. Each side builds its own HNSW graph ' +
      '(on 2 threads, so any two builds differ), then all search ours (written with writeIndex, read with faiss.read_index), ' +
      'so search times and labels compare on the same graph. recall@5 is against the exact search. ' +
      "Exact distances agree with Python's within float rounding (the AVX2 kernels sum in another order; test/index-io.test.ts). " +
      `Machine load during the run (1-minute load average on ${os.cpus().length} cores, this benchmark included): ` +
      `median ${median(load).toFixed(1)}, max ${Math.max(...load).toFixed(1)}.`,
  };
}
