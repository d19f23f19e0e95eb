/**
 * Progress for long work: count, rate, ETA. In a notebook (tslab kernel) one
 * display updates in place; on a terminal one line redraws; in a log (CI, a
 * pipe) a line every 10%.
 *
 * @example
 * const bar = new Progress('embedding images', files.length, 'images');
 * for (...) bar.tick(batch.length);
 * bar.done(); // "embedding images: 120/120 images in 9.8 s (12.2 images/s)"
 */
import { performance } from 'node:perf_hooks';
import type { ProgressDetail, ProgressReport } from '../types';
import { escapeHtml, inNotebook } from './display';

interface Display {
  html(s: string): void;
  text(s: string): void;
}

/** The tslab display of the running notebook cell, or undefined outside a kernel. */
export function notebookDisplay(): Display | undefined {
  return inNotebook() ? (require('tslab').newDisplay() as Display) : undefined;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export interface ProgressOptions {
  /** false: stay silent (default: on). */
  enabled?: boolean;
  /** Where terminal output goes (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /**
   * Total work when items differ in cost (e.g. HNSW builds with efConstruction
   * 40 or 200): the ETA then follows work done, passed as tick's second argument.
   */
  work?: number;
}

export class Progress {
  private doneCount = 0;
  private doneWork = 0;
  private readonly totalWork: number | undefined;
  private readonly t0 = performance.now();
  private lastDraw = 0;
  private lastLoggedTenth = -1;
  private readonly display: Display | undefined;
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;

  constructor(
    readonly label: string,
    readonly total: number,
    readonly unit = 'items',
    options: ProgressOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.totalWork = options.work;
    this.stream = options.stream ?? process.stderr;
    this.display = this.enabled ? notebookDisplay() : undefined;
  }

  /** Items per second so far. */
  get rate(): number {
    const s = (performance.now() - this.t0) / 1000;
    return s > 0 ? this.doneCount / s : 0;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** Records n more items done (and, with options.work, the work they took). */
  tick(n = 1, work = n): void {
    this.doneCount += n;
    this.doneWork += work;
    const now = performance.now();
    if (now - this.lastDraw < 200 && this.doneCount < this.total) return;
    this.lastDraw = now;
    this.draw(false);
  }

  /** Final line: count, time and rate. Returns the summary. */
  done(extra = ''): string {
    const summary = `${this.label}: ${this.doneCount}/${this.total} ${this.unit} in ${duration(this.elapsedSeconds)} (${this.rate.toFixed(1)} ${this.unit}/s)${extra}`;
    if (!this.enabled) return summary;
    if (this.display) this.display.html(`<pre>${escapeHtml(summary)}</pre>`);
    else if (this.stream.isTTY) this.stream.write(`\r\x1b[K${summary}\n`);
    else this.stream.write(`${summary}\n`);
    return summary;
  }

  private draw(final: boolean): void {
    if (!this.enabled) return;
    const frac = this.total > 0 ? Math.min(1, this.doneCount / this.total) : 1;
    const rate = this.rate;
    let eta = rate > 0 ? (this.total - this.doneCount) / rate : Infinity;
    if (this.totalWork !== undefined && this.doneWork > 0) {
      eta = (this.elapsedSeconds * (this.totalWork - this.doneWork)) / this.doneWork;
    }
    const text = `${this.label}: ${this.doneCount}/${this.total} ${this.unit} (${(frac * 100).toFixed(0)}%), ${rate.toFixed(1)} ${this.unit}/s, ETA ${duration(eta)}`;
    if (this.display) {
      const pct = (frac * 100).toFixed(1);
      this.display.html(
        `<div style="font-family:monospace">${escapeHtml(text)}<div style="background:#eee;width:320px;height:8px">` +
          `<div style="background:#4a7;width:${pct}%;height:8px"></div></div></div>`,
      );
    } else if (this.stream.isTTY) {
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      this.stream.write(`\r\x1b[K[${bar}] ${text}`);
    } else {
      const tenth = Math.floor(frac * 10);
      if (tenth > this.lastLoggedTenth && !final) {
        this.lastLoggedTenth = tenth;
        this.stream.write(`${text}\n`);
      }
    }
  }
}

/**
 * A progress report (done so far, total, and optionally the work it took) that
 * drives a Progress bar and closes it at the end:
 * `await index.addAsync(xb, { onProgress: progressCallback('adding to HNSW') })`,
 * `runGrid({ ..., progress: progressCallback('building HNSW graphs', 'indexes') })`.
 */
export function progressCallback(label: string, unit = 'vectors', options: ProgressOptions = {}): ProgressReport {
  let bar: Progress | undefined;
  let last = 0;
  let lastWork = 0;
  return (done: number, total: number, detail: ProgressDetail = {}) => {
    // Created on the first report, (0, total) from work that reports its start: the rate counts from there.
    bar ??= new Progress(label, total, unit, { ...options, work: options.work ?? detail.totalWork });
    const work = detail.work ?? done;
    if (done > last) bar.tick(done - last, work - lastWork);
    last = done;
    lastWork = work;
    if (done >= total) bar.done(detail.note ?? '');
  };
}
