/**
 * Embeds the Stanford Dogs photos in data/stanford-dogs with CLIP (cached in cache/)
 * and writes them in the course's format, so the lab can run on vectors you made.
 *   npm run data:embed [-- --out data/vectors.csv.gz --root data/stanford-dogs]
 */
import * as path from 'path';
import { config, embedImages, readStanfordDogs, writeVectorsCsv } from '../src';
import { arg } from './args';

async function main(): Promise<void> {
  const root = arg('root', path.join(config.dataDir, 'stanford-dogs'));
  const out = arg('out', path.join(config.dataDir, 'vectors.csv.gz'));
  const dogs = readStanfordDogs(root);
  const emb = await embedImages(path.join(root, 'Images'));
  const rowOf = new Map(dogs.files.map((f, i) => [path.relative(path.join(root, 'Images'), f), dogs.rows[i]]));
  const rows = emb.files.map((f) => rowOf.get(f)!);
  await writeVectorsCsv(out, rows, emb.vectors);
  console.log(`wrote ${out}: ${emb.vectors.n} photos x ${emb.vectors.d} (${emb.model}); ${emb.failed.length} unreadable`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
