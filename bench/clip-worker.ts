/**
 * Our side of bench/clip.ts, in its own process (so its peak memory is its own),
 * answering one JSON request per line like bench/python/clip_bench.py:
 *   {op: 'images', files, batch}            -> {seconds}   end to end, JPEG files in
 *   {op: 'model', n, batch}                 -> {seconds}   the ONNX model alone
 *   {op: 'embed', files, out}               -> {}          out .npy: image embeddings
 *   {op: 'pixels', files, out, pixelsOut}   -> {}          our preprocessed pixels, and their embeddings
 *   {op: 'queries', texts, n, k}            -> {embed, search, total}  median ms per text query
 *   {op: 'info'}                            -> {maxrss, threads}
 * Model folder and dtype come from LAB_CLIP_MODEL and LAB_DTYPE.
 */
import * as readline from 'node:readline';
import { CLIP_NORM, decodeForClip, toPixelValues } from '../src/embed/images';
import { loadPretrained, transformers } from '../src/embed/model';
import { clusteredVectors, config, embedImages, embedTexts, IndexFlat, MetricType, writeNpy } from '../src/internal';
import { median } from './harness';

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

type VisionModel = (inputs: object) => Promise<{ image_embeds: { data: Float32Array } }>;
const vision = () => {
  const t = transformers();
  return loadPretrained('vision', (id, o) =>
    t.CLIPVisionModelWithProjection.from_pretrained(id, o),
  ) as unknown as Promise<VisionModel>;
};

// biome-ignore lint/suspicious/noExplicitAny: a JSON message from the parent process, read field by field
async function handle(req: Record<string, any>): Promise<object> {
  switch (req.op) {
    case 'images': {
      const t0 = process.hrtime.bigint();
      const r = await embedImages(req.files, { cache: false, batchSize: req.batch, progress: false });
      if (r.failed.length) throw new Error(`unreadable: ${r.failed.map((f) => f.file).join(', ')}`);
      return { seconds: seconds(t0) };
    }
    case 'model': {
      const model = await vision();
      const t = transformers();
      const pixels = new t.Tensor(
        'float32',
        Float32Array.from({ length: req.batch * 3 * 224 * 224 }, () => Math.random() * 2 - 1),
        [req.batch, 3, 224, 224],
      );
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < req.n / req.batch; i++) await model({ pixel_values: pixels });
      return { seconds: seconds(t0) };
    }
    case 'embed': {
      const r = await embedImages(req.files, { cache: false, batchSize: 8, progress: false });
      writeNpy(req.out, r.vectors.data, [r.vectors.n, r.vectors.d]);
      return {};
    }
    case 'pixels': {
      const decoded = await Promise.all((req.files as string[]).map((f) => decodeForClip(f, 224)));
      const px = toPixelValues(decoded, 224, CLIP_NORM);
      writeNpy(req.pixelsOut, px, [decoded.length, 3, 224, 224]);
      const out = await (await vision())({
        pixel_values: new (transformers().Tensor)('float32', px, [decoded.length, 3, 224, 224]),
      });
      writeNpy(req.out, out.image_embeds.data, [decoded.length, out.image_embeds.data.length / decoded.length]);
      return {};
    }
    case 'queries': {
      // The database: as many 512-d vectors as Stanford Dogs has photos; L1, as the exercise's text task asks.
      const db = clusteredVectors({ n: req.n, d: 512, clusters: 120, spread: 2.5, seed: 9 });
      const index = new IndexFlat(512, MetricType.L1);
      index.add(db);
      await embedTexts([req.texts[0]], { cache: false }); // warm: tokenizer and model loaded
      const embed: number[] = [];
      const search: number[] = [];
      const total: number[] = [];
      for (const text of req.texts as string[]) {
        const t0 = process.hrtime.bigint();
        const q = await embedTexts([text], { cache: false });
        const t1 = process.hrtime.bigint();
        index.search(q, req.k);
        embed.push(Number(t1 - t0) / 1e6);
        search.push(seconds(t1) * 1e3);
        total.push(seconds(t0) * 1e3);
      }
      return { embed: median(embed), search: median(search), total: median(total) };
    }
    case 'info':
      return { maxrss: process.resourceUsage().maxRSS * 1024, threads: config.threads };
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let reply: object;
    try {
      reply = await handle(JSON.parse(line));
    } catch (e) {
      reply = { error: (e as Error).message };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
