/**
 * Image embedding rate of our pipeline (sharp decode + preprocess + ONNX Runtime)
 * on a folder of photos, with the tiny generated CLIP-shaped model: what the
 * pipeline around the model costs. (Full-size ViT-B/32 comparisons: bench issue.)
 *   npx tsx bench/embed-tiny.ts <folder of photos>
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { config, embedImages } from '../src/internal';
import { writeTinyClip } from '../test/support/tiny-clip';

async function main(): Promise<void> {
  const folder = process.argv[2];
  if (!folder) throw new Error('usage: npx tsx bench/embed-tiny.ts <folder of photos>');
  config.clipModel = writeTinyClip(path.join(os.tmpdir(), 'lab-bench-tiny-clip'));
  for (const batchSize of [1, 8, 32]) {
    const t0 = process.hrtime.bigint();
    const r = await embedImages(folder, { cache: false, batchSize, progress: false });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `batch ${String(batchSize).padStart(2)}: ${r.vectors.n} photos in ${s.toFixed(2)} s = ${(r.vectors.n / s).toFixed(1)} images/s (${r.failed.length} unreadable)`,
    );
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
