// A loopback stand-in for a ClickHouse server: speaks ClickHouse's HTTP interface
// (the parts @clickhouse/client uses) over chdb, so the real client's request code
// (URL parameters, param_* values, settings, body streams, error headers) is exercised.
// Test support, not product code: no auth check, one statement per request.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

type Session = InstanceType<typeof import('chdb')['Session']>;
interface NativeResult {
  bytes: Buffer;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}
interface Native {
  QueryAsyncConnection(
    conn: unknown,
    sql: string,
    format: string,
    params?: Record<string, string>,
  ): Promise<NativeResult>;
}

// URL parameters that are not settings.
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'compress',
  'decompress',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'enable_http_compression',
  'http_headers_progress_interval_ms',
  'role',
]);

export interface FakeClickHouse {
  url: string;
  /** Requests answered so far, and the last statement of each. */
  requests: Array<{ method: string; statement: string; params: string[]; status: number }>;
  close(): Promise<void>;
}

function unescapeSqlError(msg: string): { code: number; text: string } {
  const m = /Code: (\d+)/.exec(msg);
  return { code: m ? Number(m[1]) : 1001, text: msg.startsWith('Code:') ? msg : `Code: 1001. DB::Exception: ${msg}` };
}

/** Starts the server on 127.0.0.1 (a free port) with chdb's data in `dir`. */
export async function startFakeClickHouse(dir: string): Promise<FakeClickHouse> {
  const chdb = require('chdb') as typeof import('chdb');
  // The raw binding takes parameter values as the server receives them (already in
  // ClickHouse's text form); Session.queryBindAsync would format them a second time.
  const native = require(path.join(path.dirname(require.resolve('chdb')), 'dist', 'loader.js')).loadNative() as Native;
  const session: Session = new chdb.Session(dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-fake-ch-'));
  const requests: FakeClickHouse['requests'] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let n = 0;

  async function run(sql: string, format: string, params: Record<string, string>): Promise<NativeResult> {
    const r = await native.QueryAsyncConnection(session.connection, sql, format, params);
    return r;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ping') {
      res.end('Ok.\n');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = require('node:zlib').gunzipSync(body);
    const inUrl = url.searchParams.get('query');
    let statement = inUrl ?? body.toString('utf8');
    const data = inUrl !== null && body.length > 0 ? body : undefined;
    const params: Record<string, string> = {};
    const settings: Array<[string, string]> = [];
    for (const [k, v] of url.searchParams) {
      if (k.startsWith('param_')) params[k.slice(6)] = v;
      else if (!NOT_SETTINGS.has(k)) settings.push([k, v]);
    }
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    const entry = { method: req.method ?? '', statement, params: Object.keys(params), status: 200 };
    requests.push(entry);
    try {
      for (const [k, v] of settings) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || !/^[A-Za-z0-9_.-]*$/.test(v))
          throw new Error(`Code: 115. DB::Exception: Unknown setting ${k}. (UNKNOWN_SETTING)`);
        await run(`SET ${k} = '${v}'`, 'TabSeparated', {});
      }
      let file: string | undefined;
      if (data) {
        const m = /^\s*INSERT\s+INTO\s+([\w.]+)\s*(\([^)]*\))?\s*FORMAT\s+(\w+)\s*$/i.exec(statement);
        if (!m)
          throw new Error(
            'Code: 62. DB::Exception: the fake server takes a body only with INSERT INTO t [(cols)] FORMAT F. (SYNTAX_ERROR)',
          );
        file = path.join(tmp, `body-${n++}`);
        fs.writeFileSync(file, data);
        statement = `INSERT INTO ${m[1]} ${m[2] ?? ''} SELECT * FROM file('${file}', '${m[3]}')`;
      }
      try {
        const r = await run(statement, format, params);
        const summary = {
          read_rows: String(r.rowsRead),
          read_bytes: String(r.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: '0',
          result_rows: '0',
          result_bytes: '0',
          elapsed_ns: String(Math.round(r.elapsed * 1e9)),
        };
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Format': format,
          'X-ClickHouse-Query-Id': url.searchParams.get('query_id') ?? `fake-${n++}`,
          'X-ClickHouse-Summary': JSON.stringify(summary),
        });
        res.end(Buffer.from(r.bytes));
      } finally {
        if (file) fs.rmSync(file, { force: true });
      }
    } catch (e) {
      const { code, text } = unescapeSqlError(String((e as Error).message ?? e));
      entry.status = 500;
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) });
      res.end(`${text}\n`);
    }
  }

  const server = http.createServer((req, res) => {
    // One statement at a time, as chdb's connection serves them.
    queue = queue
      .then(() => handle(req, res))
      .catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.catch(() => undefined);
      session.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
