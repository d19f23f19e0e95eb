/**
 * Comparison 2: loading the course's vectors.csv.gz (20,580 rows of 512 floats,
 * written as pandas writes lists) with readVectorsCsv vs two pandas ways.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { clusteredVectors, readNpy, readVectorsCsv, writeVectorsCsv } from '../src/internal';
import { type Comparison, median, PYTHON } from './harness';

export async function csvComparison(o: { n: number; reps: number; out: string }): Promise<Comparison> {
  const d = 512;
  const m = clusteredVectors({ n: o.n, d, clusters: 120, spread: 2.5, seed: 9 });
  const rows = Array.from({ length: o.n }, (_, i) => ({
    filename: `n02085620_${i}.jpg`,
    dir: 'Images/n02085620-Chihuahua',
    class: `breed_${m.classes[i]}`,
    pose: 'Unspecified',
    xmin: 1,
    ymin: 2,
    xmax: 300,
    ymax: 400,
  }));
  const file = path.join(o.out, 'vectors.csv.gz');
  await writeVectorsCsv(file, rows, m);

  const times: number[] = [];
  let data: Float32Array = new Float32Array(0);
  for (let r = 0; r < o.reps; r++) {
    const t0 = process.hrtime.bigint();
    data = (await readVectorsCsv(file)).vectors.data;
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const ours = median(times);

  const py = spawnSync(PYTHON, [path.join(__dirname, 'python', 'csv_bench.py'), file, o.out, String(o.reps)], {
    encoding: 'utf8',
  });
  if (py.status !== 0)
    throw new Error(`Python CSV bench failed (needs python3-pandas: bash scripts/lab.sh bench):\n${py.stderr}`);
  const ref = JSON.parse(py.stdout) as Record<string, number>;
  const same = (way: string): string => {
    const theirs = readNpy(path.join(o.out, `py.csv.${way}.npy`)).data as Float32Array;
    let equal = 0;
    for (let i = 0; i < data.length; i++) if (data[i] === theirs[i]) equal++;
    return equal === data.length ? 'identical values' : `${equal} of ${data.length} values equal`;
  };
  return {
    title: `2. Loading vectors.csv.gz (${o.n} x ${d}): readVectorsCsv vs pandas`,
    reference: 'pandas 1.5 (Debian python3-pandas) + numpy',
    unit: 's',
    goal: 'at least 2x faster than the fastest Python way (ratio <= 0.5), values identical',
    rows: [
      {
        case: 'vs pandas + ast.literal_eval',
        ours,
        reference: ref['pandas + ast.literal_eval'],
        ratio: ours / ref['pandas + ast.literal_eval'],
        results: same('eval'),
      },
      {
        case: 'vs pandas + np.fromstring',
        ours,
        reference: ref['pandas + np.fromstring'],
        ratio: ours / ref['pandas + np.fromstring'],
        results: same('fromstring'),
      },
    ],
  };
}
