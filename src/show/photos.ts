/**
 * Photo grids: one row per query, the query photo first, then its neighbours,
 * as small JPEG thumbnails inlined as data URIs so an exported notebook is one
 * self-contained file (a 10 x 4 grid of 128 px thumbnails is about 200 KB).
 * A photo that is missing or unreadable becomes a tile naming the file: a grid
 * never fails a cell.
 *
 * @example
 * await showNeighbours({
 *   queries: { images: q.files.map((f) => `queries/${f}`), classes: queryBreeds },
 *   results: index.search(q.vectors, 3),
 *   rows: course.rows,
 *   imageOf: (row) => course.imagePath(row),
 * });
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Box } from '../io/vectors-csv';
import type { SearchResults } from '../search/results';
import { displayHtml, escapeHtml, STYLE } from './display';

export type { Box };

export interface Tile {
  /** The photo's file; missing or unreadable gives a placeholder naming it. */
  image?: string;
  /** Caption lines under the photo. */
  caption?: string | string[];
  /** A coloured frame: the query, a hit (same class as the query) or a miss. */
  mark?: 'query' | 'hit' | 'miss';
  /** Crop to this box before making the thumbnail. */
  crop?: Box;
  /** Text shown in place of a photo (a text query). */
  text?: string;
}

export interface PhotoGridRow {
  /** A title at the start of the row. */
  title?: string;
  tiles: Tile[];
}

export interface PhotoGridOptions {
  /** Thumbnail edge in CSS pixels (default 128). */
  size?: number;
  /** JPEG quality of the thumbnails (default 70). */
  quality?: number;
  /** A heading above the grid. */
  title?: string;
}

const MARK_COLOR = { query: STYLE.query, hit: STYLE.hit, miss: STYLE.miss } as const;

/** A JPEG thumbnail as a data URI, or the reason there is none. */
export async function thumbnail(
  file: string,
  size = 128,
  quality = 70,
  crop?: Box,
): Promise<{ uri?: string; error?: string }> {
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch {
    return { error: 'file not found' };
  }
  try {
    const sharp = (await import('sharp')).default;
    let img = sharp(file, { failOn: 'none', limitInputPixels: 2 ** 28 }).rotate();
    if (crop && crop.xmax > crop.xmin && crop.ymax > crop.ymin) {
      const meta = await sharp(file).rotate().metadata();
      const w = meta.autoOrient?.width ?? meta.width ?? 0;
      const h = meta.autoOrient?.height ?? meta.height ?? 0;
      const left = Math.max(0, Math.floor(crop.xmin));
      const top = Math.max(0, Math.floor(crop.ymin));
      const width = Math.min(w - left, Math.ceil(crop.xmax - crop.xmin));
      const height = Math.min(h - top, Math.ceil(crop.ymax - crop.ymin));
      if (width > 1 && height > 1) img = sharp(await img.toBuffer()).extract({ left, top, width, height });
    }
    // 1.5x the CSS size keeps thumbnails sharp on high-density screens at little cost.
    const buf = await img
      .resize({ width: Math.round(size * 1.5), height: Math.round(size * 1.5), fit: 'cover', position: 'attention' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality, mozjpeg: true })
      .toBuffer();
    return { uri: `data:image/jpeg;base64,${buf.toString('base64')}` };
  } catch (e) {
    return { error: `unreadable (${(e as Error).message.split('\n')[0].slice(0, 80)})` };
  }
}

async function tileHtml(tile: Tile, size: number, quality: number): Promise<string> {
  const lines = tile.caption === undefined ? [] : Array.isArray(tile.caption) ? tile.caption : [tile.caption];
  const border = tile.mark ? `3px solid ${MARK_COLOR[tile.mark]}` : '3px solid transparent';
  const caption = lines
    .map(
      (l, i) =>
        `<div style="${i === 0 ? 'font-weight:600;' : `color:${STYLE.muted};`}white-space:nowrap;overflow:hidden;text-overflow:ellipsis">${escapeHtml(l)}</div>`,
    )
    .join('');
  let picture: string;
  const thumb = tile.image ? await thumbnail(tile.image, size, quality, tile.crop) : { error: 'no photo' };
  if (!tile.image && tile.text !== undefined) {
    picture = `<div class="lab-text-tile" style="width:${size}px;height:${size}px;background:#f4f7fb;color:#223;display:flex;align-items:center;justify-content:center;text-align:center;font-size:14px;font-style:italic;padding:8px;box-sizing:border-box">“${escapeHtml(tile.text)}”</div>`;
  } else if (thumb.uri) {
    picture = `<img src="${thumb.uri}" alt="${escapeHtml(tile.image ? path.basename(tile.image) : '')}" width="${size}" height="${size}" style="display:block;width:${size}px;height:${size}px;object-fit:cover">`;
  } else {
    const name = tile.image ? path.basename(tile.image) : '';
    picture =
      `<div class="lab-placeholder" title="${escapeHtml(tile.image ?? '')}" style="width:${size}px;height:${size}px;background:#eceff1;color:#555;display:flex;flex-direction:column;align-items:center;justify-content:center;text-align:center;font-size:11px;word-break:break-all;padding:4px;box-sizing:border-box">` +
      `<div>${escapeHtml(name || '(no photo)')}</div><div style="color:#999;margin-top:4px">${escapeHtml(thumb.error ?? '')}</div></div>`;
  }
  return `<div style="width:${size}px;margin:0 6px 6px 0;flex:none"><div style="border:${border};border-radius:3px">${picture}</div><div style="font-size:11px;line-height:1.3;margin-top:2px">${caption}</div></div>`;
}

/** A grid of photo rows as self-contained HTML. */
export async function photoGridHtml(rows: PhotoGridRow[], options: PhotoGridOptions = {}): Promise<string> {
  if (!Array.isArray(rows))
    throw new TypeError(`photoGridHtml expects an array of rows ({ tiles: [...] }), but received ${typeof rows}`);
  const size = options.size ?? 128;
  const quality = options.quality ?? 70;
  const body: string[] = [];
  for (const row of rows) {
    // Rows one after another (sharp runs on its own threads; a row at a time bounds memory).
    const tiles = await Promise.all((row.tiles ?? []).map((t) => tileHtml(t, size, quality)));
    const title = row.title ? `<div style="font-weight:600;margin:4px 0">${escapeHtml(row.title)}</div>` : '';
    body.push(`${title}<div style="display:flex;flex-wrap:nowrap;overflow-x:auto">${tiles.join('')}</div>`);
  }
  const heading = options.title
    ? `<div style="font-size:15px;font-weight:600;margin:4px 0 8px">${escapeHtml(options.title)}</div>`
    : '';
  return `<div class="lab-photo-grid" style="${STYLE.font}">${heading}${body.join('')}</div>`;
}

/** Shows a photo grid in a notebook; outside one returns the HTML. */
export async function showPhotoGrid(rows: PhotoGridRow[], options: PhotoGridOptions = {}): Promise<string | undefined> {
  return displayHtml(await photoGridHtml(rows, options));
}

/** What the neighbours grid needs of a dataset row (the course's PhotoRow fits). */
export interface PhotoLike extends Partial<Box> {
  class?: string;
  filename?: string;
}

export interface NeighboursOptions<R extends PhotoLike> extends PhotoGridOptions {
  /**
   * The query photos (files) and, where known, their classes (breeds); for
   * text queries, `texts` instead of images.
   */
  queries: {
    images?: Array<string | undefined>;
    texts?: string[];
    classes?: Array<string | undefined>;
    captions?: string[];
  };
  /** The search result for those queries. */
  results: SearchResults;
  /** The dataset's rows, by id. */
  rows: ArrayLike<R>;
  /** The photo file of a row (undefined when the photos are not there). */
  imageOf: (row: R, id: number) => string | undefined;
  /** Crop neighbours to their bounding box (default false). */
  crop?: boolean;
  /** Neighbours shown per query (default: all k). */
  k?: number;
}

/**
 * The grid of a search: per query its photo, then its neighbours with rank,
 * class and distance; neighbours of the query's class framed green, others red.
 */
export function neighboursGrid<R extends PhotoLike>(options: NeighboursOptions<R>): PhotoGridRow[] {
  const { queries, results, rows } = options;
  const count = queries.images?.length ?? queries.texts?.length ?? 0;
  if (count !== results.n) {
    throw new Error(
      `neighbours grid: ${count} queries (images or texts) for a result of ${results.n} queries: give one per query`,
    );
  }
  const k = options.k ?? results.k;
  return Array.from({ length: count }, (_, q) => {
    const image = queries.images?.[q];
    const text = queries.texts?.[q];
    const want = queries.classes?.[q];
    const name =
      queries.captions?.[q] ?? (image ? path.basename(image) : text !== undefined ? 'text query' : `query ${q}`);
    const queryTile: Tile = {
      image,
      text,
      caption: [name, want ? `query · ${want}` : text !== undefined ? 'query' : 'query · breed unknown'],
      mark: 'query',
    };
    const hits = results
      .join(rows, q)
      .slice(0, k)
      .map((h): Tile => {
        const cls = h.row.class;
        return {
          image: options.imageOf(h.row, h.id),
          caption: [`#${h.rank} ${cls ?? `id ${h.id}`}`, `d = ${formatDistance(h.distance)}`],
          mark: want ? (cls === want ? 'hit' : 'miss') : undefined,
          crop: options.crop && h.row.xmax ? (h.row as Box) : undefined,
        };
      });
    return { tiles: [queryTile, ...hits] };
  });
}

function formatDistance(d: number): string {
  const a = Math.abs(d);
  return a >= 100 ? d.toFixed(1) : a >= 1 ? d.toFixed(2) : d.toFixed(3);
}

/** neighboursGrid, shown (notebook) or returned as HTML (elsewhere). */
export async function showNeighbours<R extends PhotoLike>(options: NeighboursOptions<R>): Promise<string | undefined> {
  return showPhotoGrid(neighboursGrid(options), options);
}
