/**
 * Embeds the Stanford Dogs photos in data/stanford-dogs with CLIP (cached in cache/)
 * and writes them in the course's format, so the lab can run on vectors you made.
 *   npm run data:embed [-- --out data/vectors.csv.gz --root data/stanford-dogs]
 */
import * as path from 'node:path';
import { config, embedImages, readStanfordDogs, writeVectorsCsv } from '../src/internal';
import { arg } from './args';

async function main(): Promise<void> {
  const root = arg('root', path.join(config.dataDir, 'stanford-dogs'));
  const out = arg('out', path.join(config.dataDir, 'vectors.csv.gz'));
  const dogs = readStanfordDogs(root);
  // Exactly the photos the dataset lists (not every file under Images/), each with its row.
  const images = path.join(root, 'Images');
  const emb = await embedImages(dogs.files, {
    cache: path.join(config.cacheDir, `stanford-dogs.${path.basename(config.clipModel)}.${config.dtype}.raw`),
  });
  const rowOf = new Map(dogs.files.map((f, i) => [f, dogs.rows[i]]));
  const rows = emb.files.map((f) => rowOf.get(f)!);
  await writeVectorsCsv(out, rows, emb.vectors);
  const noBox = dogs.missingAnnotations.length
    ? `; ${dogs.missingAnnotations.length} without annotation (breed from the folder, no box)`
    : '';
  console.log(
    `wrote ${out}: ${emb.vectors.n} photos x ${emb.vectors.d} (${emb.model}) from ${images}; ${emb.failed.length} unreadable${noBox}`,
  );
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
