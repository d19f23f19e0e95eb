/**
 * Where the SQL store's statements run: embedded ClickHouse (chdb, in this
 * process, data in a folder) or a ClickHouse server (@clickhouse/client over
 * HTTP). Both take the same SQL with `{name:Type}` placeholders, values bound
 * by the engine, and run off the event loop.
 *
 * @example
 * const local = chdbBackend();                          // config.sqlDir (data/chdb)
 * const server = serverBackend({ url: 'http://localhost:8123' });
 * const bytes = await local.run('SELECT {x:UInt8} + 1', { x: 41 }, 'TabSeparated'); // "42\n"
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { config } from '../config';

/** Parameter values by placeholder name: `{lab_q:Array(Float32)}` takes params.lab_q. */
export type SqlParams = Record<string, unknown>;

/**
 * Settings every statement runs with. use_query_condition_cache = 0: in
 * ClickHouse 26.7 a vector-index query with a WHERE fills the query condition
 * cache with the index's few granules, and later plain queries with the same
 * condition return wrong counts (fixed upstream, ClickHouse PR #112086).
 */
export const SESSION_SETTINGS: Readonly<Record<string, number>> = { use_query_condition_cache: 0 };

/** One way to run SQL. */
export interface SqlBackend {
  /** 'chdb' (embedded) or 'server' (a ClickHouse server over HTTP). */
  readonly kind: 'chdb' | 'server';
  /** Where: the chdb folder or the server URL (no password). */
  readonly where: string;
  /**
   * Runs one statement with bound parameters and returns its output bytes in
   * `format` (e.g. 'TabSeparated', 'JSONEachRow', 'RowBinary'); statements
   * without output (DDL) give an empty buffer. Errors are thrown as they come
   * (SqlStore wraps them with the table and statement).
   */
  run(sql: string, params?: SqlParams, format?: string): Promise<Buffer>;
  /**
   * Inserts a ClickHouse Native-format file into `table` (its columns named
   * as in the file). chdb reads the file in place; a server receives it as
   * the body of INSERT ... FORMAT Native.
   */
  insertNativeFile(table: string, columns: readonly string[], file: string): Promise<void>;
  /** The statement insertNativeFile sends for this file: its text, parameters and the data sent with it. */
  insertStatement(
    table: string,
    columns: readonly string[],
    file: string,
  ): { sql: string; params: SqlParams; data?: string };
  /** Ends the connection (a shared chdb session stays open while others use it). */
  close(): void;
}

// ---------------------------------------------------------------------------
// chdb

type ChdbModule = typeof import('chdb');
type ChdbSession = InstanceType<ChdbModule['Session']>;

// libchdb binds one data folder per process: sessions on that folder are shared, counted.
let shared: { dir: string; session: ChdbSession; users: number } | undefined;

function openSession(dir: string): ChdbSession {
  if (shared && shared.dir === dir) {
    shared.users++;
    return shared.session;
  }
  if (shared) {
    throw new Error(
      `chdb already has ${shared.dir} open in this process, and opens one data folder per process: ` +
        `close the stores using it (store.dispose()) before opening ${dir}, or use the same folder (config.sqlDir / LAB_SQL_DIR)`,
    );
  }
  let chdb: ChdbModule;
  try {
    chdb = require('chdb') as ChdbModule;
  } catch (e) {
    throw new Error(
      `the chdb package does not load (${(e as Error).message}): run npm ci (chdb 3.4.0 ships embedded ClickHouse for linux/macOS)`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  const session = new chdb.Session(dir);
  for (const [name, value] of Object.entries(SESSION_SETTINGS)) session.query(`SET ${name} = ${Number(value)}`);
  shared = { dir, session, users: 1 };
  return session;
}

function releaseSession(dir: string): void {
  if (!shared || shared.dir !== dir) return;
  if (--shared.users > 0) return;
  shared.session.close();
  shared = undefined;
}

/** The chdb folder open in this process, if any. */
export function openChdbFolder(): string | undefined {
  return shared?.dir;
}

class ChdbBackend implements SqlBackend {
  readonly kind = 'chdb' as const;
  private session: ChdbSession | undefined;

  constructor(readonly where: string) {
    this.session = openSession(where);
  }

  async run(sql: string, params: SqlParams = {}, format = 'TabSeparated'): Promise<Buffer> {
    const s = this.alive();
    // queryBindAsync runs on libuv's pool; the engine binds {name:Type} values.
    const r = Object.keys(params).length
      ? await s.queryBindAsync(sql, params, { format })
      : await s.queryAsync(sql, { format });
    const b = r.bytes();
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  async insertNativeFile(table: string, columns: readonly string[], file: string): Promise<void> {
    const { sql, params } = this.insertStatement(table, columns, file);
    await this.run(sql, params);
  }

  insertStatement(table: string, columns: readonly string[], file: string): { sql: string; params: SqlParams } {
    const cols = columns.join(', ');
    // chdb reads the file in place: the statement names it, as a parameter.
    return {
      sql: `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM file({lab_file:String}, 'Native')`,
      params: { lab_file: path.resolve(file) },
    };
  }

  close(): void {
    if (!this.session) return;
    this.session = undefined;
    releaseSession(this.where);
  }

  private alive(): ChdbSession {
    if (!this.session) throw new Error(`this chdb connection (${this.where}) was closed`);
    return this.session;
  }
}

/**
 * Embedded ClickHouse (chdb) with its data in `dir` (default config.sqlDir,
 * LAB_SQL_DIR: data/chdb). One folder per process; backends on the same folder
 * share one session.
 */
export function chdbBackend(dir: string = config.sqlDir): SqlBackend {
  return new ChdbBackend(path.resolve(dir));
}

// ---------------------------------------------------------------------------
// ClickHouse server

type ClientModule = typeof import('@clickhouse/client');
type Client = ReturnType<ClientModule['createClient']>;

export interface ServerOptions {
  /** e.g. http://localhost:8123 (config.clickhouseUrl, LAB_CLICKHOUSE_URL). */
  url?: string;
  /** config.clickhouseUser (LAB_CLICKHOUSE_USER), default 'default'. */
  username?: string;
  /** config.clickhousePassword (LAB_CLICKHOUSE_PASSWORD). */
  password?: string;
  /** Database for unqualified table names (default: the server's, usually 'default'). */
  database?: string;
  /** Milliseconds before a request is abandoned (default 300000: index builds take minutes). */
  requestTimeout?: number;
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

// The HTTP client sends a typed array as an object ({"0":..}), which a server refuses: plain arrays go.
function plainParams(params: SqlParams): SqlParams {
  const out: SqlParams = {};
  for (const [k, v] of Object.entries(params)) {
    out[k] =
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number | bigint>) : v;
  }
  return out;
}

class ServerBackend implements SqlBackend {
  readonly kind = 'server' as const;
  private client: Client | undefined;

  constructor(
    readonly where: string,
    client: Client,
  ) {
    this.client = client;
  }

  async run(sql: string, params: SqlParams = {}, format = 'TabSeparated'): Promise<Buffer> {
    const c = this.alive();
    // exec: the statement as written, its output (in default_format) as bytes.
    const r = await c.exec({
      query: sql,
      query_params: plainParams(params),
      clickhouse_settings: { default_format: format as never },
    });
    return drain(r.stream as Readable);
  }

  async insertNativeFile(table: string, columns: readonly string[], file: string): Promise<void> {
    const c = this.alive();
    const { sql } = this.insertStatement(table, columns, file);
    const r = await c.exec({ query: sql, values: fs.createReadStream(file) });
    await drain(r.stream as Readable);
  }

  insertStatement(
    table: string,
    columns: readonly string[],
    file: string,
  ): { sql: string; params: SqlParams; data: string } {
    return {
      sql: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT Native`,
      params: {},
      data: `${path.basename(file)} (Native format) as the request body`,
    };
  }

  close(): void {
    const c = this.client;
    this.client = undefined;
    if (c) void c.close();
  }

  private alive(): Client {
    if (!this.client) throw new Error(`this ClickHouse connection (${this.where}) was closed`);
    return this.client;
  }
}

/**
 * A ClickHouse server (24.8+ for the vector index; 25.x+ for
 * use_query_condition_cache) through @clickhouse/client over HTTP.
 * URL, user and password default to config (LAB_CLICKHOUSE_URL, _USER, _PASSWORD).
 */
export function serverBackend(options: ServerOptions = {}): SqlBackend {
  const url = options.url ?? config.clickhouseUrl;
  if (!url) {
    throw new Error(
      'no ClickHouse server URL: pass { url } or set LAB_CLICKHOUSE_URL (config.clickhouseUrl), or use chdbBackend()',
    );
  }
  const { createClient, ClickHouseLogLevel } = require('@clickhouse/client') as ClientModule;
  const client = createClient({
    url,
    username: options.username ?? config.clickhouseUser,
    password: options.password ?? config.clickhousePassword,
    database: options.database,
    request_timeout: options.requestTimeout ?? 300_000,
    // Progress headers keep long statements (index builds) alive behind load balancers.
    clickhouse_settings: {
      ...SESSION_SETTINGS,
      send_progress_in_http_headers: 1,
      http_headers_progress_interval_ms: '110000',
    } as import('@clickhouse/client').ClickHouseSettings,
    // Errors reach the caller (SqlError, with the table and statement): the client need not log them too.
    log: { level: ClickHouseLogLevel.OFF },
  });
  const shown = new URL(url);
  shown.password = '';
  return new ServerBackend(shown.toString(), client);
}

/** The default backend: a server when config.clickhouseUrl (LAB_CLICKHOUSE_URL) is set, chdb otherwise. */
export function defaultBackend(): SqlBackend {
  return config.clickhouseUrl ? serverBackend() : chdbBackend();
}
