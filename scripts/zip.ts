/**
 * A small .zip writer (PKWARE APPNOTE: local headers, central directory, end
 * record; deflate or stored, whichever is smaller), enough for the submission's
 * my-photos.zip: no tar, no dependency. Files up to 4 GiB, at most 65,535 of them.
 *
 * @example
 * writeZip('export/my-photos.zip', [{ name: 'my-photos/me.jpg', file: 'my-photos/me.jpg' }]);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  /** The name inside the archive, with forward slashes (e.g. "my-photos/me.jpg"). */
  name: string;
  /** The file to read. */
  file: string;
}

/** MS-DOS date and time (local time, 2-second resolution) as zip headers store them. */
function dosTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Writes a zip of the entries to `out` (atomically); returns its size in bytes. */
export function writeZip(out: string, entries: ZipEntry[]): number {
  if (entries.length > 0xffff) throw new Error(`a zip holds at most 65535 files here, not ${entries.length}`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = fs.readFileSync(e.file);
    if (data.length >= 0xffffffff) throw new Error(`${e.file} is too large for a zip without ZIP64 (4 GiB)`);
    const deflated = zlib.deflateRawSync(data, { level: 6 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = zlib.crc32(data) >>> 0;
    const name = Buffer.from(e.name.split(path.sep).join('/'), 'utf8');
    const { time, date } = dosTime(fs.statSync(e.file).mtime);
    const method = stored ? 0 : 8;
    const flags = 0x0800; // names are UTF-8

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, body);

    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(flags, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt16LE(time, 12);
    dir.writeUInt16LE(date, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    // extra, comment, disk number, internal attributes: 0
    dir.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    dir.writeUInt32LE(offset, 42);
    central.push(dir, name);
    offset += local.length + name.length + body.length;
    if (offset >= 0xffffffff) throw new Error('the zip would exceed 4 GiB (ZIP64 is not written here)');
  }
  const dirBytes = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes, 12);
  end.writeUInt32LE(offset, 16);
  const all = Buffer.concat([...parts, ...central, end]);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, all);
  fs.renameSync(tmp, out);
  return all.length;
}
