/**
 * Downloads a large file with progress, resume and a size/checksum check.
 * The file is written as <dest>.part and renamed only once complete and checked,
 * so an interrupted download resumes where it stopped (HTTP Range) next time.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Progress } from '../show/progress';

export interface DownloadOptions {
  /** Expected size in bytes (checked in addition to the server's Content-Length). */
  size?: number;
  /** Expected SHA-256 (hex) of the whole file. */
  sha256?: string;
  /** Show progress (default true). */
  progress?: boolean;
  /** Attempts on a dropped connection, each resuming (default 5). */
  retries?: number;
}

function get(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers }, (res) => {
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
        res.resume();
        resolve(get(new URL(loc, url).toString(), headers));
      } else {
        resolve(res);
      }
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('no data for 60 s')));
  });
}

async function sha256Of(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** One attempt: appends to <dest>.part from its current size. Returns the total size. */
async function attempt(url: string, part: string, bar: { set(done: number, total: number): void }): Promise<number> {
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {});
  if (res.statusCode === 416) {
    res.resume();
    return have; // already complete
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    res.resume();
    throw Object.assign(new Error(`${url} answered HTTP ${res.statusCode}`), { fatal: true });
  }
  const resumed = res.statusCode === 206;
  const total = resumed
    ? Number(/\/(\d+)$/.exec(String(res.headers['content-range']))?.[1] ?? NaN)
    : Number(res.headers['content-length'] ?? NaN);
  const out = fs.createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  let done = resumed ? have : 0;
  await new Promise<void>((resolve, reject) => {
    res.on('data', (c: Buffer) => {
      done += c.length;
      bar.set(done, total);
    });
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('connection dropped')));
    res.on('end', () => (res.complete ? resolve() : reject(new Error('connection dropped'))));
    res.pipe(out);
  });
  await new Promise<void>((resolve, reject) => out.close((e) => (e ? reject(e) : resolve())));
  return Number.isFinite(total) ? total : done;
}

/**
 * Downloads url to dest unless dest exists. Resumes a previous partial
 * download; retries dropped connections; checks size and checksum.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  if (fs.existsSync(dest)) return dest;
  fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  const part = `${dest}.part`;
  let progress: Progress | undefined;
  let shown = 0;
  const bar = {
    set(done: number, total: number) {
      if (options.progress === false) return;
      if (!progress && Number.isFinite(total)) {
        progress = new Progress(`downloading ${path.basename(dest)}`, Math.round(total / 2 ** 20), 'MiB');
        shown = 0;
      }
      const mib = Math.floor(done / 2 ** 20);
      if (progress && mib > shown) {
        progress.tick(mib - shown);
        shown = mib;
      }
    },
  };
  const retries = options.retries ?? 5;
  let total = NaN;
  for (let i = 0; ; i++) {
    try {
      total = await attempt(url, part, bar);
      break;
    } catch (e) {
      if ((e as { fatal?: boolean }).fatal || i >= retries) {
        throw new Error(
          `download of ${url} failed: ${(e as Error).message}` +
            (fs.existsSync(part) ? ` (${fs.statSync(part).size} bytes kept in ${part}; run again to resume)` : ''),
        );
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
  }
  progress?.done();
  const size = fs.statSync(part).size;
  const want = options.size ?? total;
  if (Number.isFinite(want) && size !== want) {
    fs.rmSync(part);
    throw new Error(`download of ${url} has ${size} bytes, expected ${want}: removed it, run again`);
  }
  if (options.sha256) {
    const got = await sha256Of(part);
    if (got !== options.sha256.toLowerCase()) {
      fs.rmSync(part);
      throw new Error(`download of ${url} has SHA-256 ${got}, expected ${options.sha256}: removed it, run again`);
    }
  }
  fs.renameSync(part, dest);
  return dest;
}
