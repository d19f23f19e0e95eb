/**
 * Which setting of a grid is fastest, which most precise, said honestly: every
 * setting that ties for the best quality is named with the rule that then picks
 * one, and "fastest" is declared only where it beats the runner-up by more than
 * the timing noise; otherwise the settings that cannot be told apart are named.
 *
 * With 10 queries and k = 5, precision@5 moves in steps of 1/50 = 0.02, so many
 * settings tie; a search of 10 queries takes tens of microseconds, so two
 * settings a microsecond apart are equally fast on a shared machine.
 *
 * Noise rule: each setting is timed `repeats` times; two settings are equally
 * fast only when each one's median lies within the other's middle half of runs
 * (its interquartile range, 25th to 75th percentile). Overlapping middle halves
 * are not enough: a setting whose runs are bimodal (half at 0.026 ms, half at
 * 15 ms on a busy machine) has a middle half that overlaps nearly anything.
 * With fewer than 4 runs per setting the spread is unknown and only the medians
 * are compared, and the verdict says so.
 *
 * @example
 * const speed = fastestSettings(rows);           // { fastest, equallyFast, decided, sentence }
 * const best = mostPreciseSettings(rows, 'precision');   // { best, tied, pick, rule, sentence }
 */
import { ArgumentError } from '../util/check';

/** What the chooser reads of a setting (GridRow has it all). */
export interface TimedSetting {
  label: string;
  /** Median latency of the whole query batch, ms. */
  latencyMs: number;
  /** Every timed run, ms (for the spread). */
  runsMs?: number[];
  precision?: number;
  recall: number;
}

export type Quality = 'precision' | 'recall';

/** The q-quantile of values (linear interpolation, as numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const v = Float64Array.from(values).sort();
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** The interquartile range [25th, 75th percentile] of a setting's runs, or [median, median] without runs. */
export function latencySpread(s: TimedSetting): { q1: number; q3: number; runs: number } {
  const runs = s.runsMs ?? [];
  if (runs.length < 4) return { q1: s.latencyMs, q3: s.latencyMs, runs: runs.length };
  return { q1: quantile(runs, 0.25), q3: quantile(runs, 0.75), runs: runs.length };
}

/**
 * Whether two settings cannot be told apart by their timed runs: each one's median lies within the other's
 * middle half (inclusive), so a typical run of either is a typical run of the other. Rejected: "the middle
 * halves overlap" calls a bimodal setting (middle half 0.026-15.7 ms, median 8.3 ms) as fast as a steady
 * 0.025 ms; "the slower median is within the faster's middle half" is one-sided (13 runs at 0.026 ms and 12 at
 * 15 ms would tie with a 0.024-0.026 ms middle half); "overlap, and medians closer than the wider middle half"
 * lets one wide middle half excuse any gap. With fewer than 4 runs the middle half is the median alone, so
 * only equal medians tie.
 */
export function equallyFastAs(a: TimedSetting, b: TimedSetting): boolean {
  const within = (median: number, s: { q1: number; q3: number }) => s.q1 <= median && median <= s.q3;
  return within(a.latencyMs, latencySpread(b)) && within(b.latencyMs, latencySpread(a));
}

/** Whether `a` is faster than `b` beyond the noise: a's median is the lower and the two are not equally fast. */
export function clearlyFaster(a: TimedSetting, b: TimedSetting): boolean {
  return a.latencyMs < b.latencyMs && !equallyFastAs(a, b);
}

export interface SpeedVerdict<R extends TimedSetting> {
  /** The setting with the lowest median latency. */
  fastest: R;
  /** The fastest and every setting equally fast as it (equallyFastAs: each median within the other's middle half;
   * the fastest first, then by median). */
  equallyFast: R[];
  /** The runner-up by median latency (undefined for one setting). */
  runnerUp?: R;
  /** True when the fastest beats every other setting beyond the noise. */
  decided: boolean;
  /** Timed runs per setting (the smallest count over the rows). */
  runs: number;
  /** One or two sentences saying what was found and by which rule. */
  sentence: string;
}

function checkRows<R>(rows: R[], what: string): void {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new ArgumentError(`${what}: no settings (an empty list of rows)`);
}

const ms = (v: number) => (v >= 1 ? v.toFixed(2) : v.toFixed(3));

/** The fastest setting and those that cannot be told apart from it; see the module's description. */
export function fastestSettings<R extends TimedSetting>(rows: R[]): SpeedVerdict<R> {
  checkRows(rows, 'fastestSettings');
  const byMedian = [...rows].sort((a, b) => a.latencyMs - b.latencyMs);
  const fastest = byMedian[0];
  const runs = Math.min(...rows.map((r) => r.runsMs?.length ?? 0));
  const equallyFast = byMedian.filter((r) => r === fastest || equallyFastAs(fastest, r));
  const decided = equallyFast.length === 1;
  const f = latencySpread(fastest);
  const spread = runs >= 4 ? ` (middle half of its ${f.runs} runs: ${ms(f.q1)}-${ms(f.q3)} ms)` : '';
  let sentence = `${fastest.label} has the lowest median latency, ${ms(fastest.latencyMs)} ms${spread}`;
  if (runs < 4) {
    sentence += `; with ${runs} timed run(s) per setting the noise is unknown, so this is the lowest median only.`;
  } else if (decided) {
    const r = byMedian[1];
    const s = r && latencySpread(r);
    // Why the runner-up is slower: its median is above the fastest's middle half, or (a steady fastest against a
    // noisy runner-up) the runner-up's middle half starts above the fastest's median.
    const why = !s
      ? ''
      : r.latencyMs > f.q3
        ? 'its median is above the middle half of the fastest'
        : `its middle half, ${ms(s.q1)}-${ms(s.q3)} ms, starts above the median of the fastest`;
    sentence += r
      ? `, and it is faster beyond the noise than every other setting (runner-up: ${r.label}, ${ms(r.latencyMs)} ms; ` +
        `${why}).`
      : '.';
  } else {
    sentence +=
      `, but ${equallyFast.length - 1} other setting(s) cannot be told apart from it (each median lies within the ` +
      `other's middle half of runs): ${equallyFast
        .slice(1)
        .map((r) => `${r.label} (${ms(r.latencyMs)} ms)`)
        .join('; ')}. ` +
      'They are equally fast on this machine in this run.';
  }
  return { fastest, equallyFast, runnerUp: byMedian[1], decided, runs, sentence };
}

export interface QualityVerdict<R extends TimedSetting> {
  quality: Quality;
  /** The best value of the quality over all settings. */
  best: number;
  /** Every setting at that value (within 1e-9), in the rows' order. */
  tied: R[];
  /** The one picked among the tied by `rule`. */
  pick: R;
  /** How the pick was made among the tied. */
  rule: string;
  sentence: string;
}

function qualityOf(r: TimedSetting, quality: Quality): number {
  const v = r[quality];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ArgumentError(
      `the settings have no ${quality}` +
        (quality === 'precision' ? ": give the queries' breeds (or use recall, against the exact search)" : ''),
    );
  }
  return v;
}

/**
 * Every setting with the best precision (or recall), and the one a rule picks
 * among them: for precision, the higher recall first (a finer measure), then the
 * lower median latency; for recall, the lower median latency.
 */
export function mostPreciseSettings<R extends TimedSetting>(
  rows: R[],
  quality: Quality = 'precision',
  options: { k?: number } = {},
): QualityVerdict<R> {
  checkRows(rows, 'mostPreciseSettings');
  const best = Math.max(...rows.map((r) => qualityOf(r, quality)));
  const tied = rows.filter((r) => qualityOf(r, quality) >= best - 1e-9);
  const pick = [...tied].sort(
    (a, b) => (quality === 'precision' ? b.recall - a.recall : 0) || a.latencyMs - b.latencyMs,
  )[0];
  const rule =
    quality === 'precision'
      ? 'among the tied settings, the highest recall@k (against the exact search), then the lowest median latency'
      : 'among the tied settings, the lowest median latency';
  const name = `${quality}@${options.k ?? 'k'}`;
  const sentence =
    tied.length === 1
      ? `${pick.label} alone has the best ${name}, ${best.toFixed(3)}.`
      : `${tied.length} of ${rows.length} settings tie for the best ${name}, ${best.toFixed(3)}: ` +
        `${tied.map((r) => r.label).join('; ')}. Picked by the rule "${rule}": ${pick.label}.`;
  return { quality, best, tied, pick, rule, sentence };
}

/**
 * The fastest setting whose quality is within `tolerance` of the best, and the
 * settings equally fast as it (the same noise rule).
 */
export function bestTradeoffSettings<R extends TimedSetting>(
  rows: R[],
  quality: Quality = 'precision',
  tolerance = 0.01,
): SpeedVerdict<R> & { tolerance: number } {
  const { best } = mostPreciseSettings(rows, quality);
  const good = rows.filter((r) => qualityOf(r, quality) >= best - tolerance - 1e-9);
  return { ...fastestSettings(good), tolerance };
}

/** The mean of each measure over the settings sharing one value of a knob. */
export interface KnobMeans {
  knob: string;
  value: string;
  settings: number;
  latencyMs: number;
  precision?: number;
  recall: number;
  buildSeconds?: number;
}

/**
 * What one knob did: for each of its values, the means over every setting with
 * that value (so over all the other knobs), in the order the values first appear.
 */
export function groupMeans(rows: Array<TimedSetting & Record<string, unknown>>, knob: string): KnobMeans[] {
  checkRows(rows, 'groupMeans');
  if (!rows.some((r) => knob in r)) throw new ArgumentError(`groupMeans: no setting has a knob "${knob}"`);
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = String(r[knob]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const avg = (rs: typeof rows, f: (r: (typeof rows)[number]) => unknown) => {
    const v = rs.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length === rs.length ? v.reduce((s, x) => s + x, 0) / v.length : undefined;
  };
  return [...groups].map(([value, rs]) => {
    const precision = avg(rs, (r) => r.precision);
    const buildSeconds = avg(rs, (r) => r.buildSeconds);
    return {
      knob,
      value,
      settings: rs.length,
      latencyMs: avg(rs, (r) => r.latencyMs)!,
      recall: avg(rs, (r) => r.recall)!,
      ...(precision !== undefined ? { precision } : {}),
      ...(buildSeconds !== undefined ? { buildSeconds } : {}),
    };
  });
}
