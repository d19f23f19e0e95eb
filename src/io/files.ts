/** File helpers every reader and writer shares: atomic writes, one wording for read errors. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes bytes to `file` atomically: a crash leaves the old file or the new one, never half. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** The error for a file that could not be opened: "cannot read <file>: no such file" or the system's reason. */
export function readError(file: string, e: unknown): Error {
  const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
  return new Error(`cannot read ${file}: ${why}`);
}
