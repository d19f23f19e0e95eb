/**
 * Any photo a student may have -> the 224x224 RGB pixels CLIP expects.
 * sharp decodes JPEG (CMYK, progressive, EXIF-rotated), PNG (alpha flattened on
 * white), WebP, GIF (first frame), TIFF, AVIF and grayscale; large photos are
 * shrunk while decoding, so a 12000x12000 image does not exhaust memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.bmp'];

/** Resizes the shorter side to `size` (bicubic) and crops the centre: CLIP's preprocessing. */
export async function decodeForClip(file: string, size: number): Promise<Buffer> {
  const { data, info } = await sharp(file, { failOn: 'error', limitInputPixels: 2 ** 30, sequentialRead: true })
    .rotate() // EXIF orientation
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'cubic' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  return data;
}

export interface PixelNorm {
  mean: number[];
  std: number[];
  /** 1/255 for CLIP. */
  rescale: number;
}

/** OpenAI CLIP's normalisation, for models whose preprocessor config does not say. */
export const CLIP_NORM: PixelNorm = {
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  rescale: 1 / 255,
};

/**
 * Packs RGB images (size x size x 3, uint8) into CLIP's pixel_values (n, 3, size, size), normalised.
 * `into` (at least n x 3 x size x size) is reused across batches: fresh memory costs page faults.
 */
export function toPixelValues(images: Buffer[], size: number, norm: PixelNorm, into?: Float32Array): Float32Array {
  const plane = size * size;
  const length = images.length * 3 * plane;
  const out = into && into.length >= length ? into.subarray(0, length) : new Float32Array(length);
  // One table per channel (byte -> normalised value), and one pass over each image's bytes.
  const lut = [0, 1, 2].map((c) =>
    Float32Array.from({ length: 256 }, (_, v) => (v * norm.rescale - norm.mean[c]) / norm.std[c]),
  );
  const [r, g, b] = lut;
  images.forEach((rgb, i) => {
    const o = i * 3 * plane;
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      out[o + p] = r[rgb[q]];
      out[o + plane + p] = g[rgb[q + 1]];
      out[o + 2 * plane + p] = b[rgb[q + 2]];
    }
  });
  return out;
}

export interface Listing {
  /** Image files, sorted, as given or found under the folder. */
  files: string[];
  /** Files in the folder that are not images by their extension. */
  skipped: string[];
  /** The folder walked, when the input was a folder (paths are reported relative to it). */
  root?: string;
}

/** The image files of a folder (recursively), or the given list of files. Hidden files and README.md are ignored. */
export function listImages(input: string | string[]): Listing {
  if (Array.isArray(input)) return { files: input, skipped: [] };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw new Error(`cannot embed ${input}: no such file or folder`);
  }
  if (stat.isFile()) return { files: [input], skipped: [] };
  const files: string[] = [];
  const skipped: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.') || e.name === 'README.md') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase())) files.push(p);
      else skipped.push(p);
    }
  };
  walk(input);
  return { files, skipped, root: input };
}
