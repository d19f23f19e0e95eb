/**
 * Stanford Dogs (120 breeds, 20,580 photos) in its official layout:
 *   Images/<synset>-<breed>/<synset>_<n>.jpg
 *   Annotation/<synset>-<breed>/<synset>_<n>   (PASCAL VOC XML: breed, pose, bounding box)
 * downloadStanfordDogs fetches and unpacks the official archives into data/,
 * optionally a subset for small machines; readStanfordDogs lists the photos with
 * the same metadata as the course's vectors.csv.
 *
 * @example
 * const root = await downloadStanfordDogs({ breeds: 10, perBreed: 20 });
 * const { files, rows } = readStanfordDogs(root);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tar from 'tar';
import { config } from '../config';
import type { PhotoRow } from '../io/vectors-csv';
import { checkInteger } from '../util/check';
import { downloadFile } from './download';

export interface DownloadDogsOptions {
  /** Destination (default data/stanford-dogs). */
  dest?: string;
  /** Only the first `breeds` breeds of the archive (default all 120). */
  breeds?: number;
  /** Only the first `perBreed` photos of each breed (default all). */
  perBreed?: number;
  /** Where images.tar and annotation.tar are (default config.dogsUrl). */
  baseUrl?: string;
  progress?: boolean;
}

const BREED_DIR = /^(?:\.\/)?(Images|Annotation)\/(n\d+-[^/]+)\/([^/]+)$/;

/**
 * Downloads (resumably) and unpacks Stanford Dogs. Running it again is instant
 * when the same subset is already there. Returns the dataset's folder.
 */
export async function downloadStanfordDogs(options: DownloadDogsOptions = {}): Promise<string> {
  const dest = path.resolve(options.dest ?? path.join(config.dataDir, 'stanford-dogs'));
  const breeds = options.breeds === undefined ? Infinity : checkInteger(options.breeds, 'breeds', 1, 120);
  const perBreed = options.perBreed === undefined ? Infinity : checkInteger(options.perBreed, 'perBreed', 1);
  const base = (options.baseUrl ?? config.dogsUrl).replace(/\/?$/, '/');
  const marker = path.join(dest, '.complete.json');
  const subset = { breeds: String(breeds), perBreed: String(perBreed) };
  if (
    fs.existsSync(marker) &&
    JSON.stringify(JSON.parse(fs.readFileSync(marker, 'utf8')).subset) === JSON.stringify(subset)
  ) {
    return dest;
  }
  const downloads = path.join(dest, 'downloads');
  const images = await downloadFile(`${base}images.tar`, path.join(downloads, 'images.tar'), {
    progress: options.progress,
  });
  const annotation = await downloadFile(`${base}annotation.tar`, path.join(downloads, 'annotation.tar'), {
    progress: options.progress,
  });

  // Images first: the subset is the first breeds / photos in archive order.
  const taken = new Set<string>();
  const perBreedCount = new Map<string, number>();
  fs.rmSync(path.join(dest, 'Images'), { recursive: true, force: true });
  fs.rmSync(path.join(dest, 'Annotation'), { recursive: true, force: true });
  await tar.x({
    file: images,
    cwd: dest,
    // Folders come with the files taken (a subset leaves no empty breed folders).
    filter: (p, entry) => {
      if ((entry as { type?: string }).type === 'Directory') return false;
      const m = BREED_DIR.exec(p);
      if (m?.[1] !== 'Images') return false;
      const count = perBreedCount.get(m[2]);
      if (count === undefined && perBreedCount.size >= breeds) return false;
      if ((count ?? 0) >= perBreed) return false;
      perBreedCount.set(m[2], (count ?? 0) + 1);
      taken.add(`${m[2]}/${m[3].replace(/\.jpe?g$/i, '')}`);
      return true;
    },
  });
  if (taken.size === 0)
    throw new Error(`${images} holds no Images/<breed>/<photo>.jpg entries: not the Stanford Dogs images archive?`);
  await tar.x({
    file: annotation,
    cwd: dest,
    filter: (p, entry) => {
      if ((entry as { type?: string }).type === 'Directory') return false;
      const m = BREED_DIR.exec(p);
      return !!m && m[1] === 'Annotation' && taken.has(`${m[2]}/${m[3]}`);
    },
  });
  fs.writeFileSync(marker, JSON.stringify({ subset, photos: taken.size, breeds: perBreedCount.size }));
  return dest;
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];
}

export interface StanfordDogs {
  /** Absolute paths of the photos, sorted by breed folder then name. */
  files: string[];
  /** Metadata per photo, as in the course's vectors.csv. */
  rows: PhotoRow[];
  /** Photos without an annotation file (their box is 0,0,0,0 and pose Unspecified). */
  missingAnnotations: string[];
}

/** Lists the photos of an unpacked Stanford Dogs folder with breed, pose and bounding box. */
export function readStanfordDogs(root: string): StanfordDogs {
  const imagesDir = path.join(root, 'Images');
  if (!fs.existsSync(imagesDir)) {
    throw new Error(`${root} is not a Stanford Dogs folder: it has no Images/ (download it with: npm run data:dogs)`);
  }
  const files: string[] = [];
  const rows: PhotoRow[] = [];
  const missingAnnotations: string[] = [];
  for (const breedDir of fs.readdirSync(imagesDir).sort()) {
    const full = path.join(imagesDir, breedDir);
    if (!fs.statSync(full).isDirectory()) continue;
    const fallbackBreed = breedDir.replace(/^n\d+-/, '');
    for (const name of fs.readdirSync(full).sort()) {
      if (!/\.jpe?g$/i.test(name)) continue;
      const ann = path.join(root, 'Annotation', breedDir, name.replace(/\.jpe?g$/i, ''));
      let xml = '';
      try {
        xml = fs.readFileSync(ann, 'utf8');
      } catch {
        missingAnnotations.push(path.join(breedDir, name));
      }
      const object = /<object>([\s\S]*?)<\/object>/.exec(xml)?.[1] ?? '';
      const box = (k: string) => Number(tag(object, k) ?? 0);
      files.push(path.join(full, name));
      rows.push({
        filename: name,
        dir: path.join('Images', breedDir),
        class: tag(object, 'name') ?? fallbackBreed,
        pose: tag(object, 'pose') ?? 'Unspecified',
        xmin: box('xmin'),
        ymin: box('ymin'),
        xmax: box('xmax'),
        ymax: box('ymax'),
      });
    }
  }
  return { files, rows, missingAnnotations };
}
