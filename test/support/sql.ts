// The chdb folder of this test process: libchdb opens one data folder per process,
// so every SQL test file (and the loopback ClickHouse server) shares this one.
import { tmpDir } from './data';

let dir: string | undefined;

export function sqlTestDir(): string {
  dir ??= tmpDir('chdb');
  return dir;
}

/** Labels and filter values that would break SQL pasted together from strings. */
export const INJECTIONS: readonly string[] = [
  "x'); DROP TABLE t; --",
  "'; DROP TABLE sql_inj; SELECT '",
  "O'Brien",
  "''",
  '"double" quotes',
  "back\\slash \\' and \\\\ two",
  'semi;colon;;',
  '-- line comment',
  '/* block */ comment */',
  '{lab_q:Array(Float32)}',
  '`backticks`',
  'tab\tand\nnewline\r',
  '\\N',
  'ünïcödé Straße 犬 🐕',
  '\u202e right-to-left \u2028 line sep',
  '',
];
