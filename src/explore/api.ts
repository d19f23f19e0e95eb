/**
 * The explorer's JSON API, over a Catalog (photos, vectors, indexes) and a
 * SessionStore (labels, rounds). Every parameter is checked here: a bad one is a
 * 4xx with { error } saying what was wrong and what is expected.
 *
 *   GET  /api/info                    the data set: photos, breeds, poses, backends and metrics, DEMO DATA or not
 *   POST /api/search                  { session, query, filters, k, backend, metric, efSearch } -> hits (and the
 *                                     SQL statement when the SQL store answered)
 *   POST /api/upload                  the photo's bytes (image/*) -> { upload } for a query { upload }
 *   GET  /api/session?session=        labels and rounds
 *   POST /api/label                   { session, id, label: 'positive' | 'negative' | 'none' }
 *   POST /api/train                   { session, query, n, backend, efSearch, breed } -> one round, next candidates
 *   GET  /api/labels.csv?session=     the labels as id,file,label,round
 *   GET  /api/weights.npy?session=    the classifier of the labels so far, as numpy's .npy (float32, d + 1)
 *   POST /api/labels/import?session=  a labels CSV (text/csv)
 *   GET  /api/thumb/:id, /api/photo/:id
 *
 * A query is one of { text, lang: 'en' | 'other' }, { breed }, { like: id }, { upload }. Filters are
 * { breeds, poses, unlabelled, box: { minWidth, maxWidth, minHeight, maxHeight } } (filters.ts). Backends:
 * 'flat', 'hnsw' (FAISS), 'sql', 'sql-hnsw' (the SQL store); metrics 'ip', 'l2', 'l1' where the backend serves them.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { type CandidateSource, faissCandidates, sqlCandidates } from '../classify/candidates';
import { LinearClassifier } from '../classify/linear';
import { classLabeller, HardNegativeMiner } from '../classify/mining';
import { encodeNpy } from '../io/npy';
import type { Hit } from '../search/results';
import { formatStatement, type SqlStatement } from '../sql/statements';
import { BACKENDS, type Catalog, checkBackendMetric, METRICS, searchStatement } from './catalog';
import { badRequest, HttpError } from './errors';
import { allowedIds, BOX_MAX, parseFilters, show, sqlWhere } from './filters';
import { checkSessionName, type RoundRecord, type RoundStart, type Session, type SessionStore } from './session';

export const K_MAX = 1000;
export const EF_MAX = 4096;
export const CANDIDATES_MAX = 100;
export const UPLOAD_LIMIT = 20 * 1024 * 1024;
export const CSV_LIMIT = 5 * 1024 * 1024;
const TEXT_MAX = 500;
const UPLOADS_KEPT = 64;

interface Query {
  vector: Float32Array;
  start: RoundStart;
  /** The breed of a breed query: what precision is measured against. */
  breed?: string;
  embedMs: number;
}

type Body = Record<string, unknown>;

function body(v: unknown): Body {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('the request body must be a JSON object');
  return v as Body;
}

/** A whole number from min to max, given as a number or a string of digits. */
export function wholeNumber(v: unknown, name: string, min: number, max: number, fallback?: number): number {
  if ((v === undefined || v === '') && fallback !== undefined) return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n))
    throw badRequest(`${name} must be a whole number from ${min} to ${max} (got ${show(v)})`);
  if (n < min || n > max) throw badRequest(`${name} is ${n}: it must be from ${min} to ${max}`);
  return n;
}

/** Whether a string holds a path step up ('../' or '..\'), refused in every parameter. */
export function hasPathUp(s: string): boolean {
  return /(^|[\\/])\.\.([\\/]|$)/.test(s);
}

/** The first parameter (by its dotted name) holding '../', searching objects and arrays. */
export function findPathUp(v: unknown, name: string, depth = 0): string | undefined {
  if (typeof v === 'string') return hasPathUp(v) ? name : undefined;
  if (depth > 8 || v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const found = findPathUp(x, name ? `${name}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** See the module's description. */
export function registerApi(app: FastifyInstance, catalog: Catalog, sessions: SessionStore): void {
  const { course } = catalog;
  const breeds = new Set(course.breeds);
  const poses = new Set(catalog.poses);
  const uploads = new Map<string, Float32Array>();

  const photoId = (v: unknown, name = 'id') => wholeNumber(v, name, 0, catalog.n - 1);

  const checkBreed = (b: string): string => {
    if (!breeds.has(b)) {
      const list = course.breeds.slice(0, 8).join(', ');
      throw badRequest(
        `unknown breed ${show(b)}: the data set's breeds are ${list}${course.breeds.length > 8 ? ', ...' : ''}`,
      );
    }
    return b;
  };

  const vocabulary = { breeds, poses, checkBreed };
  const statementJson = (st: SqlStatement | undefined) =>
    st ? { text: formatStatement(st), sql: st.sql, ms: st.ms } : null;

  async function queryOf(v: unknown, session?: Session): Promise<Query> {
    if (v === undefined && session?.start) {
      const { start } = session;
      const breed = typeof start.breed === 'string' && breeds.has(start.breed) ? start.breed : undefined;
      return { vector: Float32Array.from(start.vector), start, breed, embedMs: 0 };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw badRequest('query must be one of { text, lang }, { breed }, { like: id } or { upload }');
    }
    const q = v as Body;
    const t0 = performance.now();
    let vector: Float32Array;
    let start: Omit<RoundStart, 'vector'>;
    let breed: string | undefined;
    if ('text' in q) {
      if (typeof q.text !== 'string' || q.text.trim() === '')
        throw badRequest('the text query is empty: type a few words');
      const text = q.text.trim();
      if (text.length > TEXT_MAX) throw badRequest(`the text query has ${text.length} characters: at most ${TEXT_MAX}`);
      const lang = q.lang === undefined || q.lang === 'en' ? 'en' : q.lang === 'other' ? 'other' : undefined;
      if (!lang)
        throw badRequest(
          `lang must be 'en' (CLIP's text tower) or 'other' (the multilingual encoder), got ${show(q.lang)}`,
        );
      vector = await catalog.textVector(text, lang);
      start = { kind: 'text', label: `text "${text}"${lang === 'other' ? ' (multilingual)' : ''}` };
    } else if ('breed' in q) {
      if (typeof q.breed !== 'string' || q.breed === '') throw badRequest('the breed query is empty: pick a breed');
      breed = checkBreed(q.breed);
      vector = catalog.breedVector(breed);
      start = { kind: 'breed', label: `breed ${breed}` };
    } else if ('like' in q) {
      const id = photoId(q.like, 'like');
      vector = catalog.vectorOf(id);
      start = { kind: 'like', label: `more like photo ${id}` };
    } else if ('upload' in q) {
      const key = typeof q.upload === 'string' ? q.upload : '';
      const had = /^[0-9a-f]{16}$/.test(key) ? uploads.get(key) : undefined;
      if (!had) throw badRequest(`unknown upload ${show(q.upload)}: upload the photo again`);
      vector = Float32Array.from(had);
      start = { kind: 'upload', label: `uploaded photo ${key.slice(0, 6)}` };
    } else {
      throw badRequest(
        `query must be one of { text, lang }, { breed }, { like: id } or { upload } (got keys ${show(Object.keys(q))})`,
      );
    }
    return { vector, start: { ...start, vector: Array.from(vector), breed }, breed, embedMs: performance.now() - t0 };
  }

  const hitRows = (hits: Hit[], session: Session) =>
    hits.map((h) => {
      const r = course.rows[h.id];
      return {
        rank: h.rank,
        id: h.id,
        score: h.distance,
        breed: r.class,
        pose: r.pose,
        file: catalog.files[h.id],
        label: session.labels.get(h.id)?.label ?? null,
      };
    });

  const sessionOf = (v: unknown) => sessions.get(checkSessionName(v));
  const sessionJson = (s: Session) => ({
    session: s.name,
    counts: sessions.counts(s),
    labels: [...s.labels].sort((a, b) => a[0] - b[0]).map(([id, v]) => ({ id, label: v.label, round: v.round })),
    rounds: s.rounds,
    start: s.start ? { kind: s.start.kind, label: s.start.label } : null,
  });

  app.get('/api/info', async () => ({
    demo: course.demo,
    summary: course.summary,
    photos: catalog.n,
    d: catalog.unit.d,
    photosOnDisk: Boolean(course.photosDir),
    breeds: course.breeds,
    poses: catalog.poses,
    backends: BACKENDS,
    metrics: METRICS,
    sql: catalog.sqlWhere,
    limits: {
      k: K_MAX,
      efSearch: EF_MAX,
      candidates: CANDIDATES_MAX,
      uploadBytes: UPLOAD_LIMIT,
      text: TEXT_MAX,
      boxPixels: BOX_MAX,
    },
    stateDir: sessions.dir,
  }));

  app.post('/api/search', async (req) => {
    const t0 = performance.now();
    const b = body(req.body);
    const session = sessionOf(b.session);
    const k = wholeNumber(b.k, 'k', 1, K_MAX, 24);
    const { backend, metric } = checkBackendMetric(b.backend, b.metric);
    const efSearch = wholeNumber(b.efSearch, 'efSearch', 1, EF_MAX, 64);
    const filters = parseFilters(b.filters, vocabulary);
    const allowed = allowedIds(filters, course.rows, session.labels);
    const where = sqlWhere(filters, session.labels.keys());
    const q = await queryOf(b.query);
    const t1 = performance.now();
    const answer = await catalog.search(q.vector, { k, backend, metric, efSearch, allowed, where });
    const searchMs = performance.now() - t1;
    return {
      query: q.start.label,
      backend: answer.answeredBy,
      metric: METRICS[metric],
      k,
      filtered: allowed?.length ?? null,
      hits: hitRows(answer.hits, session),
      sql: statementJson(answer.statement),
      ms: { embed: q.embedMs, search: searchMs, total: performance.now() - t0 },
    };
  });

  app.post('/api/upload', { bodyLimit: UPLOAD_LIMIT }, async (req) => {
    const t0 = performance.now();
    const bytes = req.body;
    // Text (text/plain) arrives parsed as a string: a wrong kind of upload, not an empty one.
    if (typeof bytes === 'string' && bytes.length > 0) {
      throw new HttpError(
        415,
        `the upload is ${JSON.stringify(req.headers['content-type'] ?? 'text')}, not a photo: ` +
          'send its bytes as image/jpeg, image/png, ...',
      );
    }
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
      throw badRequest("the upload is empty: send the photo's bytes (Content-Type image/jpeg, image/png, ...)");
    }
    const key = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    if (!uploads.has(key)) {
      const v = await catalog.imageVector(bytes);
      uploads.set(key, v);
      if (uploads.size > UPLOADS_KEPT) uploads.delete(uploads.keys().next().value!);
    }
    return { upload: key, bytes: bytes.length, ms: { embed: performance.now() - t0 } };
  });

  app.get('/api/session', async (req) => sessionJson(sessionOf((req.query as Body).session)));

  app.post('/api/label', async (req) => {
    const b = body(req.body);
    const s = sessionOf(b.session);
    const id = photoId(b.id);
    const label = b.label;
    if (label !== 'positive' && label !== 'negative' && label !== 'none') {
      throw badRequest(`label must be 'positive', 'negative' or 'none' (got ${show(label)})`);
    }
    sessions.setLabel(s, id, label);
    return { id, label: label === 'none' ? null : label, counts: sessions.counts(s) };
  });

  /**
   * The few-shot classifier of a session: refitted from its start on every label so far, each time, so a restart
   * or another tab gives the same classifier for the same labels.
   */
  function fitSession(s: Session, start: Float32Array, source: CandidateSource, n: number) {
    const miner = new HardNegativeMiner({
      vectors: catalog.unit,
      source,
      classifier: LinearClassifier.fromVector(start, { seed: 0 }),
      n: Math.min(n, catalog.n),
    });
    const labels = [...s.labels];
    miner.label(
      labels.filter(([, v]) => v.label === 'positive').map(([id]) => id),
      labels.filter(([, v]) => v.label === 'negative').map(([id]) => id),
    );
    return { miner, fit: miner.fit(), labels };
  }

  app.post('/api/train', async (req) => {
    const t0 = performance.now();
    const b = body(req.body);
    const s = sessionOf(b.session);
    const n = wholeNumber(b.n, 'n', 1, CANDIDATES_MAX, 12);
    // The classifier ranks by inner product (its weight and the photos are unit vectors): every backend's order.
    const { backend } = checkBackendMetric(b.backend, 'ip');
    const efSearch = wholeNumber(b.efSearch, 'efSearch', 1, EF_MAX, 64);
    if (b.query === undefined && !s.start)
      throw badRequest('search first: the classifier starts from a query (text, photo or breed)');
    const q = await queryOf(b.query, s);
    const breed = b.breed === undefined || b.breed === '' ? q.breed : checkBreed(String(b.breed));
    const t1 = performance.now();
    const sql = backend === 'sql' || backend === 'sql-hnsw' ? await catalog.sqlForMining() : undefined;
    let source: CandidateSource;
    if (sql) {
      // Mining leaves the labelled ids out in the WHERE: by brute force (the index's post-filter would miss).
      source = sqlCandidates(sql);
    } else {
      // efSearch travels with this round's searches: the shared index is not changed under other requests.
      source = faissCandidates(await catalog.index(backend as 'flat' | 'hnsw'), { efSearch });
    }
    const { miner, fit, labels } = fitSession(s, q.vector, source, n);
    const candidates = await miner.candidates();
    const statement = sql ? searchStatement(sql, miner.classifier.weight, miner.n) : undefined;
    let precision: number | undefined;
    let candidatePrecision: number | undefined;
    if (breed) {
      precision = await miner.precisionAtN(classLabeller(course.classOf, breed));
      candidatePrecision = candidates.length
        ? candidates.filter((h) => course.rows[h.id].class === breed).length / candidates.length
        : 0;
    }
    const positives = labels.filter(([, v]) => v.label === 'positive').length;
    const record: RoundRecord = {
      round: s.rounds.length + 1,
      at: new Date().toISOString(),
      start: { kind: q.start.kind, label: q.start.label },
      backend: source.name,
      labelled: labels.length,
      positives,
      negatives: labels.length - positives,
      lossBefore: fit?.losses[0],
      lossAfter: fit?.losses[fit.losses.length - 1],
      breed,
      precision,
      candidatePrecision,
      candidates: candidates.map((h) => h.id),
      ms: performance.now() - t1,
    };
    s.rounds.push(record);
    s.start = q.start;
    sessions.save(s);
    return {
      round: record,
      hits: hitRows(candidates, s),
      counts: sessions.counts(s),
      sql: statementJson(statement),
      ms: { embed: q.embedMs, round: record.ms, total: performance.now() - t0 },
    };
  });

  // The classifier the next round would start from: the last round's query, fitted on every label now.
  app.get('/api/weights.npy', async (req, reply) => {
    const s = sessionOf((req.query as Body).session);
    if (!s.start) {
      throw badRequest(
        `session "${s.name}" has no classifier yet: search, then "Train and mine" once (it starts from the query)`,
      );
    }
    const { miner } = fitSession(s, Float32Array.from(s.start.vector), faissCandidates(catalog.flat), 1);
    const c = miner.classifier;
    // One row a person can use without our code: logit = x . v[:d] + v[d] for an L2-normalised photo vector x.
    const v = new Float32Array(c.d + 1);
    for (let i = 0; i < c.d; i++) v[i] = c.scale * c.weight[i];
    v[c.d] = c.bias;
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-disposition', `attachment; filename="classifier-${s.name}.npy"`);
    return encodeNpy(v, [c.d + 1]);
  });

  app.get('/api/labels.csv', async (req, reply) => {
    const s = sessionOf((req.query as Body).session);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="labels-${s.name}.csv"`);
    return sessions.toCsv(s);
  });

  app.post('/api/labels/import', { bodyLimit: CSV_LIMIT }, async (req) => {
    const s = sessionOf((req.query as Body).session);
    if (typeof req.body !== 'string') throw badRequest('send the labels CSV as the body (Content-Type text/csv)');
    const { imported } = sessions.importCsv(s, req.body);
    return { imported, counts: sessions.counts(s) };
  });

  app.get('/api/thumb/:id', async (req, reply) => {
    const id = photoId((req.params as Body).id);
    const file = await catalog.thumbnail(id);
    reply.header('content-type', 'image/jpeg');
    reply.header('cache-control', 'private, max-age=86400');
    return fs.promises.readFile(file);
  });

  app.get('/api/photo/:id', async (req, reply) => {
    const id = photoId((req.params as Body).id);
    const file = catalog.photoFile(id);
    if (!file) throw new HttpError(404, `photo ${id} (${catalog.files[id]}) is not on this machine`);
    const ext = file.toLowerCase().split('.').pop();
    const types: Record<string, string> = {
      jpg: 'image/jpeg',
      jpeg: 'image/jpeg',
      png: 'image/png',
      webp: 'image/webp',
      gif: 'image/gif',
    };
    reply.header('content-type', types[ext ?? ''] ?? 'application/octet-stream');
    return fs.promises.readFile(file);
  });
}
