/**
 * The visual dataset explorer's web server (fastify): the page (plain ES
 * modules, HTML and CSS from src/explore/page, found through PROJECT_ROOT, so
 * the compiled server in dist/ serves the same files) and the JSON API
 * (api.ts) over the course's photos or the demo set.
 *
 * On 127.0.0.1 (the default) it answers only requests addressed to the loopback
 * host (a page elsewhere cannot reach it through DNS rebinding). Bound to any
 * other address it needs a random token, printed in the URL as Jupyter does: the
 * page's first request sets it as a cookie; API calls may also send it in
 * X-Lab-Token or ?token=.
 *
 * @example
 * const explorer = await startExplorer({ port: 0 });
 * console.log(explorer.url);   // http://127.0.0.1:40123/
 * await explorer.close();
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { PROJECT_ROOT } from '../config';
import type { CourseData } from '../data/course';
import { CSV_LIMIT, findPathUp, registerApi, UPLOAD_LIMIT } from './api';
import { Catalog } from './catalog';
import { HttpError } from './errors';
import { SessionStore } from './session';

/** The page's files: served from the source tree (also by dist/explore/server.js), nothing else is. */
export const PAGE_DIR = path.join(PROJECT_ROOT, 'src', 'explore', 'page');
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
const TOKEN_COOKIE = 'lab_explore_token';
const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface ExplorerOptions {
  /** Address to listen on (default 127.0.0.1). Any other than loopback requires the token. */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Where thumbnails and sessions are kept (default <cacheDir>/explore). */
  stateDir?: string;
  /** The demo set even when the course's files are there. */
  demo?: boolean;
  /** The token (default: random when not on loopback). */
  token?: string;
  /** A data set already loaded instead of the course's or the demo set (e.g. the bench's generated one). */
  course?: CourseData;
}

export interface Explorer {
  /** The URL to open (with ?token= when one is needed). */
  url: string;
  host: string;
  port: number;
  token?: string;
  catalog: Catalog;
  sessions: SessionStore;
  app: FastifyInstance;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function sameToken(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

function errorMessage(err: Error & { code?: string; statusCode?: number }, req: FastifyRequest): [number, string] {
  if (err instanceof HttpError) return [err.statusCode, err.message];
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return req.url.startsWith('/api/upload')
        ? [413, `the upload is over ${UPLOAD_LIMIT / 1024 / 1024} MB: choose a smaller photo`]
        : req.url.startsWith('/api/labels/import')
          ? [413, `the CSV is over ${CSV_LIMIT / 1024 / 1024} MB`]
          : [413, 'the request is too large'];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [
        415,
        `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not taken: photos are sent as ` +
          'image/* (JPEG, PNG, ...), label imports as text/csv, everything else as JSON',
      ];
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, 'the request body is empty: send a JSON object'];
    case 'ERR_INVALID_ARG':
      return [400, err.message];
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return [err.statusCode, err.message];
  return [500, `the explorer failed on ${req.method} ${req.url.split('?')[0]}: ${err.message}`];
}

/** Starts the explorer; see the module's description. */
export async function startExplorer(options: ExplorerOptions = {}): Promise<Explorer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = options.token ?? (loopback ? undefined : crypto.randomBytes(24).toString('hex'));
  const catalog = options.course
    ? Catalog.fromCourse(options.course, options.stateDir)
    : await Catalog.open({ stateDir: options.stateDir, demo: options.demo });
  const sessions = new SessionStore(catalog.stateDir, { n: catalog.n, fileOf: (id) => catalog.files[id] });
  // The HNSW graph is built in the background: the first HNSW search waits for it, exact ones do not.
  void catalog.hnsw().catch((e) => process.stderr.write(`[explore] HNSW build failed: ${(e as Error).message}\n`));

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  let port = 0;

  app.addContentTypeParser(
    /^(image\/[\w.+-]+|application\/octet-stream)$/,
    { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT },
    (_req, b, done) => done(null, b),
  );
  app.addContentTypeParser(
    ['text/csv', 'application/csv'],
    { parseAs: 'string', bodyLimit: CSV_LIMIT },
    (_req, b, done) => done(null, b),
  );

  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (loopback) {
      const h = (req.headers.host ?? '').toLowerCase();
      const ok = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`];
      if (!ok.includes(h))
        throw new HttpError(403, `requests must be addressed to 127.0.0.1:${port} (Host was ${JSON.stringify(h)})`);
    }
    if (token) {
      const q = req.query as Record<string, unknown>;
      const given = [q.token, req.headers['x-lab-token'], cookie(req, TOKEN_COOKIE)];
      const ok = given.some((t) => sameToken(typeof t === 'string' ? t : undefined, token));
      if (!ok) throw new HttpError(403, 'this explorer needs its token: open the URL it printed (…/?token=…)');
      if (sameToken(typeof q.token === 'string' ? q.token : undefined, token)) {
        reply.header('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      }
    }
  });

  app.addHook('preValidation', async (req) => {
    const where =
      findPathUp(req.query, '') ??
      findPathUp(req.params, '') ??
      (typeof req.body === 'object' ? findPathUp(req.body, '') : undefined);
    if (where !== undefined) {
      throw new HttpError(
        400,
        `${where === '*' ? 'the path' : where || 'a parameter'} holds a path ('../'): ` +
          'the explorer takes no paths, only ids and names',
      );
    }
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const [status, message] = errorMessage(err, req);
    if (status >= 500) process.stderr.write(`[explore] ${message}\n${err.stack ?? ''}\n`);
    void reply.code(status).type('application/json; charset=utf-8').send({ error: message, status });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `nothing at ${req.method} ${req.url.split('?')[0]}`, status: 404 });
  });

  const page = async (name: string, reply: FastifyReply) => {
    const type = PAGE_FILES[name];
    if (!type) throw new HttpError(404, `nothing at /${name}`);
    reply.header('content-type', type);
    reply.header('cache-control', 'no-cache');
    return fs.promises.readFile(path.join(PAGE_DIR, name));
  };
  app.get('/', async (_req, reply) => page('index.html', reply));
  app.get('/:file', async (req, reply) => page((req.params as { file: string }).file, reply));

  registerApi(app, catalog, sessions);

  await app.listen({ host, port: options.port ?? 0 });
  const addr = app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : Number(options.port);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/${token ? `?token=${token}` : ''}`;
  return {
    url,
    host,
    port,
    token,
    catalog,
    sessions,
    app,
    close: async () => {
      await app.close();
      await catalog.dispose();
    },
  };
}
