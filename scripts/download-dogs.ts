/**
 * Downloads Stanford Dogs into data/stanford-dogs (resumable; run again to resume).
 *   npm run data:dogs                          all 120 breeds, 20,580 photos (~780 MB)
 *   npm run data:dogs -- --breeds 10 --per-breed 20   a subset for small machines
 */
import { downloadStanfordDogs, readStanfordDogs } from '../src/internal';
import { arg } from './args';

const count = (name: string) => (arg(name, '') ? Number(arg(name, '')) : undefined);

downloadStanfordDogs({ breeds: count('breeds'), perBreed: count('per-breed') })
  .then((root) => {
    const { files, rows } = readStanfordDogs(root);
    console.log(`${root}: ${files.length} photos of ${new Set(rows.map((r) => r.class)).size} breeds`);
  })
  .catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
