/** Where embeddings came from: searching one kind with another is refused. */
export interface EmbeddingSource {
  /** The model that made the vectors (a hub id or a folder), when known. */
  model?: string;
  /**
   * The embedding space when it is another model's: a multilingual text encoder
   * trained into CLIP ViT-B/32's image space says 'clip-vit-base-patch32'.
   */
  space?: string;
  /** Whether each vector was scaled to unit L2 length. */
  normalized: boolean;
}

/** A row-major float32 matrix of n vectors of d values: row i is data[i*d .. (i+1)*d). */
export interface Matrix {
  data: Float32Array;
  n: number;
  d: number;
  /** Where the vectors came from (set by embedImages, embedTexts, readVectorsCsv). */
  source?: EmbeddingSource;
}

/** 'Xenova/clip-vit-base-patch32' and '/models/Xenova/clip-vit-base-patch32/' both give 'clip-vit-base-patch32'. */
export function modelKey(model: string): string {
  const parts = model.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1].toLowerCase();
}

function spaceOf(s: EmbeddingSource): string | undefined {
  return s.space ?? (s.model ? modelKey(s.model) : undefined);
}

export function describeSource(s: EmbeddingSource | undefined): string {
  if (!s) return 'vectors of unknown origin';
  const model = s.model ? `${s.model}` : 'an unknown model';
  return `${s.normalized ? 'L2-normalised' : 'raw (not normalised)'} vectors of ${model}`;
}

/**
 * Why vectors from `query` cannot be searched among vectors from `index`, or
 * undefined when they can (or when either origin is unknown).
 */
export function sourceMismatch(
  index: EmbeddingSource | undefined,
  query: EmbeddingSource | undefined,
): string | undefined {
  if (!index || !query) return undefined;
  const a = spaceOf(index);
  const b = spaceOf(query);
  if (a && b && a !== b) {
    return (
      `the index holds ${describeSource(index)}, but the queries are ${describeSource(query)}: ` +
      `embed the queries with the index's model (LAB_CLIP_MODEL / { model: ... })`
    );
  }
  if (index.normalized !== query.normalized) {
    const fix = index.normalized
      ? '{ normalize: true }'
      : "{ normalize: false } (the default, like the course's vectors)";
    return (
      `the index holds ${describeSource(index)}, but the queries are ${describeSource(query)}: ` +
      `distances between the two mean nothing; embed the queries with ${fix}`
    );
  }
  return undefined;
}

/** Whether every row has unit L2 norm (within float32 rounding): how a file's vectors are told apart. */
export function rowsAreNormalized(data: Float32Array, d: number, sample = 256): boolean {
  const n = data.length / d;
  if (n === 0) return false;
  const step = Math.max(1, Math.floor(n / sample));
  for (let i = 0; i < n; i += step) {
    let s = 0;
    for (let t = 0; t < d; t++) s += data[i * d + t] * data[i * d + t];
    if (Math.abs(Math.sqrt(s) - 1) > 1e-3) return false;
  }
  return true;
}

/** What long work adds to its (done, total) progress reports. */
export interface ProgressDetail {
  /** Work done so far and in all, when items differ in cost (HNSW builds, efConstruction 40 or 200): ETA by work. */
  work?: number;
  totalWork?: number;
  /** Said after the summary once done reaches total, e.g. " (indexes reused from the cache)". */
  note?: string;
}

/**
 * How long work reports progress without knowing how it is shown: done and total
 * items so far, first (0, total), last (total, total). show's progressCallback(label)
 * draws it as a bar; faiss's addAsync({ onProgress }) calls it with (done, total) only.
 */
export type ProgressReport = (done: number, total: number, detail?: ProgressDetail) => void;
