/**
 * The explorer's labelling sessions: the labels a person clicked and the rounds
 * of the few-shot loop, one JSON file per session
 * (<state dir>/sessions/<name>.json), rewritten atomically (temp file + rename)
 * after every change. The server holds each session in memory and is the only
 * writer: every click is one request that changes one id, so two tabs on the
 * same session never overwrite each other's labels.
 *
 * @example
 * const sessions = new SessionStore('cache/explore', { n: 300, fileOf: (id) => files[id] });
 * const s = sessions.get('default');
 * sessions.setLabel(s, 17, 'positive');   // saved before the call returns
 * sessions.toCsv(s);                       // 'id,file,label,round\n17,Images/...,positive,0\n'
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files';
import { HttpError } from './errors';

export type Label = 'positive' | 'negative';

export interface LabelEntry {
  label: Label;
  /** The round the label was given before: 0 until the first "train and mine", then 1, ... */
  round: number;
  /** When it was given (ISO time). */
  at: string;
}

/** Where a round's classifier started: the query that was on the page. */
export interface RoundStart {
  kind: 'text' | 'breed' | 'like' | 'upload';
  /** What the page shows for it, e.g. 'text "a dog in snow"'. */
  label: string;
  /** The query vector (L2-normalised): the classifier's start, kept so that a restart can repeat it. */
  vector: number[];
  /** The breed of a breed query: what the round's precision is measured against, after a restart too. */
  breed?: string;
}

export interface RoundRecord {
  round: number;
  at: string;
  start: { kind: RoundStart['kind']; label: string };
  backend: string;
  labelled: number;
  positives: number;
  negatives: number;
  /** The fit's loss before the first step and after the last; undefined without labels. */
  lossBefore?: number;
  lossAfter?: number;
  /** The breed precision is measured against, when there is one. */
  breed?: string;
  /** Precision@N of the classifier over every photo against the breed. */
  precision?: number;
  /** The share of the next candidates that are of the breed. */
  candidatePrecision?: number;
  /** The next candidates' ids, best first. */
  candidates: number[];
  /** Milliseconds the round took on the server (fit, search, precision). */
  ms: number;
}

export interface Session {
  readonly name: string;
  labels: Map<number, LabelEntry>;
  rounds: RoundRecord[];
  start?: RoundStart;
}

interface SessionFile {
  version: 1;
  name: string;
  /** The photos the ids refer to: a session of another data set is refused. */
  photos: number;
  labels: Record<string, LabelEntry>;
  rounds: RoundRecord[];
  start?: RoundStart;
}

export interface SessionData {
  /** Number of photos: ids are 0 .. n-1. */
  n: number;
  /** The photo file of an id, relative to the data set's root (for the CSV). */
  fileOf(id: number): string;
}

export const SESSION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const CSV_COLUMNS = ['id', 'file', 'label', 'round'] as const;
/** Labels a CSV may spell, and what they mean. */
const CSV_LABELS: Record<string, Label> = {
  positive: 'positive',
  pos: 'positive',
  '1': 'positive',
  true: 'positive',
  yes: 'positive',
  negative: 'negative',
  neg: 'negative',
  '0': 'negative',
  false: 'negative',
  no: 'negative',
};

export function checkSessionName(v: unknown): string {
  if (v === undefined || v === '') return 'default';
  if (typeof v !== 'string' || !SESSION_NAME.test(v)) {
    throw new HttpError(400, `session must be 1 to 64 letters, digits, '-' or '_' (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** See the module's description. */
export class SessionStore {
  readonly dir: string;
  private readonly open = new Map<string, Session>();

  constructor(
    stateDir: string,
    private readonly data: SessionData,
  ) {
    this.dir = path.join(stateDir, 'sessions');
  }

  fileOf(name: string): string {
    return path.join(this.dir, `${checkSessionName(name)}.json`);
  }

  /** The session, read from its file the first time (a new one when there is none). */
  get(name: string): Session {
    const safe = checkSessionName(name);
    const had = this.open.get(safe);
    if (had) return had;
    const s = this.read(safe);
    this.open.set(safe, s);
    return s;
  }

  private read(name: string): Session {
    const file = this.fileOf(name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { name, labels: new Map(), rounds: [] };
      throw new HttpError(500, `cannot read the session file ${file}: ${(e as Error).message}`);
    }
    let f: SessionFile;
    try {
      f = JSON.parse(text) as SessionFile;
    } catch (e) {
      throw new HttpError(409, `the session file ${file} is not valid JSON (${(e as Error).message}): move it away`);
    }
    if (f.photos !== this.data.n) {
      throw new HttpError(
        409,
        `session "${name}" was labelled on ${f.photos} photos, this data set has ` +
          `${this.data.n}: use another session name, or move ${file} away`,
      );
    }
    const labels = new Map<number, LabelEntry>();
    for (const [k, v] of Object.entries(f.labels ?? {})) {
      const id = Number(k);
      if (Number.isInteger(id) && id >= 0 && id < this.data.n && (v?.label === 'positive' || v?.label === 'negative')) {
        labels.set(id, v);
      }
    }
    return { name, labels, rounds: Array.isArray(f.rounds) ? f.rounds : [], start: f.start };
  }

  /** Writes the session's file (atomically). */
  save(s: Session): void {
    const f: SessionFile = {
      version: 1,
      name: s.name,
      photos: this.data.n,
      labels: Object.fromEntries([...s.labels].sort((a, b) => a[0] - b[0])),
      rounds: s.rounds,
      start: s.start,
    };
    writeFileAtomic(this.fileOf(s.name), `${JSON.stringify(f, null, 1)}\n`);
  }

  /** Sets (or with 'none' removes) one id's label and saves. */
  setLabel(s: Session, id: number, label: Label | 'none'): void {
    if (label === 'none') s.labels.delete(id);
    else s.labels.set(id, { label, round: s.rounds.length, at: new Date().toISOString() });
    this.save(s);
  }

  counts(s: Session): { labelled: number; positives: number; negatives: number; rounds: number } {
    let positives = 0;
    for (const v of s.labels.values()) if (v.label === 'positive') positives++;
    return { labelled: s.labels.size, positives, negatives: s.labels.size - positives, rounds: s.rounds.length };
  }

  /** The labels as CSV: id,file,label,round, by id. */
  toCsv(s: Session): string {
    const lines = [CSV_COLUMNS.join(',')];
    for (const [id, v] of [...s.labels].sort((a, b) => a[0] - b[0])) {
      lines.push([String(id), csvField(this.data.fileOf(id)), v.label, String(v.round)].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Reads a labels CSV (header id,label and optionally file, round; the export's
   * form) and, when every row is valid, merges it into the session: nothing is
   * changed when a row is wrong. A file column must name each id's photo, so
   * labels of another data set are refused.
   */
  importCsv(s: Session, text: string): { imported: number } {
    const rows = parseCsv(text.replace(/^\uFEFF/, ''));
    if (rows.length === 0)
      throw new HttpError(400, 'the CSV is empty: expected a header id,file,label,round and one row per label');
    const header = rows[0].map((h) => h.trim().toLowerCase());
    const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
    const col = (name: string) => header.indexOf(name);
    if (unknown.length || col('id') < 0 || col('label') < 0 || new Set(header).size !== header.length) {
      throw new HttpError(
        400,
        `the CSV's columns are ${JSON.stringify(rows[0].join(','))}: expected id,file,label,round ` +
          '(file and round may be left out), as the explorer exports',
      );
    }
    const parsed: Array<[number, Label, number]> = [];
    for (let r = 1; r < rows.length; r++) {
      const row = rows[r];
      if (row.length === 1 && row[0].trim() === '') continue;
      const where = `CSV line ${r + 1}`;
      if (row.length !== header.length)
        throw new HttpError(400, `${where} has ${row.length} fields, the header ${header.length}`);
      const idText = row[col('id')].trim();
      const id = /^\d{1,15}$/.test(idText) ? Number(idText) : NaN;
      if (!(id >= 0 && id < this.data.n)) {
        throw new HttpError(
          400,
          `${where}: id ${JSON.stringify(idText)} is not a photo id (a whole number from 0 to ${this.data.n - 1})`,
        );
      }
      const label = CSV_LABELS[row[col('label')].trim().toLowerCase()];
      if (!label)
        throw new HttpError(400, `${where}: label ${JSON.stringify(row[col('label')])} is not positive or negative`);
      if (col('file') >= 0 && row[col('file')].trim() !== '' && row[col('file')].trim() !== this.data.fileOf(id)) {
        throw new HttpError(
          400,
          `${where}: id ${id} is ${this.data.fileOf(id)} here, the CSV says ` +
            `${JSON.stringify(row[col('file')].trim())}: labels of another data set?`,
        );
      }
      const roundText = col('round') >= 0 ? row[col('round')].trim() : '';
      const round = roundText === '' ? s.rounds.length : /^\d{1,6}$/.test(roundText) ? Number(roundText) : NaN;
      if (!Number.isInteger(round))
        throw new HttpError(400, `${where}: round ${JSON.stringify(roundText)} is not a whole number`);
      const earlier = parsed.findIndex(([other]) => other === id);
      if (earlier >= 0 && parsed[earlier][1] !== label) {
        throw new HttpError(
          400,
          `${where}: photo ${id} is ${label} here and ${parsed[earlier][1]} on an earlier line: one label per photo`,
        );
      }
      parsed.push([id, label, round]);
    }
    const at = new Date().toISOString();
    for (const [id, label, round] of parsed) s.labels.set(id, { label, round, at });
    this.save(s);
    return { imported: parsed.length };
  }
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
