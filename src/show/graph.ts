/**
 * The index at work, drawn from the student's own index: an HNSW query's walk
 * over the graph's levels, stacked as the sheet's Fig. 1 stacks them (entry point
 * at the top, greedy hops down to the query), and an IVF query's visited cells.
 * Vectors are placed by a 2-D PCA of the drawn vectors (distances in 512-d do not
 * survive any 2-D picture: hover a node for its true distance). Only what the
 * search touched is drawn (the nodes whose distance it computed, a sample of an
 * IVF's vectors), so the exported HTML stays small.
 *
 * @example
 * const w16 = hnswWalk(index, q, { k: 3, efSearch: 16 });
 * const w64 = hnswWalk(index, q, { k: 3, efSearch: 64 });
 * showHnswWalk(index, [w16, w64]);          // two charts, one projection
 * showIvfCells(ivf, [ivfProbe(ivf, q, { nprobe: 1 }), ivfProbe(ivf, q, { nprobe: 8 })]);
 */
import { IndexHNSW } from '../faiss/hnsw';
import { IndexIVF, IndexIVFFlat, type IVFLists, ivfLists } from '../faiss/ivf';
import { type HNSWWalk, type HNSWWalkSource, hnswWalkSource, walkDistance } from '../search/hnsw-walk';
import type { IVFProbe } from '../search/ivf-probe';
import { MetricType, metricName } from '../search/results';
import { invalid } from '../util/check';
import { type Figure, showChart } from './chart';
import { displayHtml, noteHtml } from './display';

/** A 2-D linear projection: x -> ((x - mean) . axes[0], (x - mean) . axes[1]). */
export interface Projection {
  d: number;
  mean: Float64Array;
  axes: [Float64Array, Float64Array];
}

/**
 * The first two principal axes of the given rows of x (row-major, dimension d), by
 * power iteration on the centred rows (no d x d covariance is formed). Fewer than 2
 * distinct rows give zero axes (everything projects to the origin).
 */
export function pca2(x: Float32Array, d: number, rows: ArrayLike<number>, iterations = 50): Projection {
  const n = rows.length;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let t = 0; t < d; t++) mean[t] += x[rows[r] * d + t];
  for (let t = 0; t < d; t++) mean[t] /= Math.max(1, n);
  const c = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let t = 0; t < d; t++) c[r * d + t] = x[rows[r] * d + t] - mean[t];
  const axes: Float64Array[] = [];
  for (let a = 0; a < 2; a++) {
    // A fixed start (not random): the same rows always give the same picture.
    let v = Float64Array.from({ length: d }, (_, t) => Math.sin(1.7 * t + 0.3 + a));
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(d);
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += c[r * d + t] * v[t];
        for (let t = 0; t < d; t++) w[t] += s * c[r * d + t];
      }
      for (const prev of axes) {
        let s = 0;
        for (let t = 0; t < d; t++) s += w[t] * prev[t];
        for (let t = 0; t < d; t++) w[t] -= s * prev[t];
      }
      let norm = 0;
      for (let t = 0; t < d; t++) norm += w[t] * w[t];
      norm = Math.sqrt(norm);
      if (!(norm > 1e-30)) {
        v = new Float64Array(d);
        break;
      }
      for (let t = 0; t < d; t++) w[t] /= norm;
      v = w;
    }
    axes.push(v);
  }
  return { d, mean, axes: [axes[0], axes[1]] };
}

/** Row j of x (or x itself when j is undefined) in the projection. */
export function project(p: Projection, x: Float32Array, j = 0): [number, number] {
  let u = 0;
  let v = 0;
  const o = j * p.d;
  for (let t = 0; t < p.d; t++) {
    const y = x[o + t] - p.mean[t];
    u += y * p.axes[0][t];
    v += y * p.axes[1][t];
  }
  return [u, v];
}

const RED = '#d62728';
const GREEN = '#2e8b57';
const ORANGE = '#ff7f0e';
const GREY = '#8a96a3';
const PALETTE = ['#1f77b4', '#9467bd', '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#2ca02c', '#7f7f7f'];

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(3) : v.toFixed(4);
const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(a / b < 0.1 ? 2 : 1) : '0');

function distanceWord(m: MetricType): string {
  if (m === MetricType.L2) return 'squared L2';
  if (m === MetricType.INNER_PRODUCT) return 'inner product';
  return metricName(m);
}

// ---- HNSW ----------------------------------------------------------------------

/**
 * A node's distance to the query as a length: L2's root (faiss's is squared), L1
 * and Linf as they are, for inner product q.q - q.x (0 for the query itself; for
 * unit vectors half the squared L2). `dist` is walkDistance's "smaller is closer" value.
 */
function trueRadius(metric: MetricType, qq: number, dist: number): number {
  if (metric === MetricType.L2) return Math.sqrt(Math.max(0, dist));
  if (metric === MetricType.INNER_PRODUCT) return Math.max(0, qq + dist);
  return dist;
}

function radiusRange(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** The nodes a walk's picture shows on each level: those whose distance was computed, plus the true and found neighbours. */
function drawnNodes(walk: HNSWWalk): Map<number, Set<number>> {
  const byLevel = new Map<number, Set<number>>();
  for (const lv of walk.levels) {
    const s = new Set<number>([lv.start, lv.end]);
    for (const c of lv.computed) s.add(c.node);
    if (lv.level === 0) {
      for (const j of walk.labels) if (j >= 0) s.add(j);
      for (const j of walk.exact?.labels ?? []) s.add(j);
    }
    byLevel.set(lv.level, s);
  }
  return byLevel;
}

export interface HnswWalkFigureOptions {
  /** Most slider steps; hops are grouped beyond it (default 40). */
  maxSteps?: number;
  /** A title's first line (default: efSearch and what the walk cost). */
  title?: string;
  /** The true distances (as lengths) drawn at the inner ring and at the rim (default: the drawn nodes' least and most). */
  radius?: [number, number];
}

export interface DrawnFigure {
  figure: Figure;
  /** Points and line segments drawn (the export's size grows with them). */
  points: number;
  links: number;
}

/**
 * The walk as a figure: one plane per level (top level at the top), the nodes whose
 * distance the search computed and the links it followed to them, the greedy hops
 * and level-0 expansions in red (a slider replays them), the descents between
 * levels dashed, the entry point, the query (green star), and on level 0 the true
 * neighbours found (green), missed (red x) and the other nodes returned (orange).
 */
export function hnswWalkFigure(
  source: HNSWWalkSource,
  walk: HNSWWalk,
  projection: Projection,
  options: HnswWalkFigureOptions = {},
): DrawnFigure {
  const { vectors, d, metricType } = source;
  const byLevel = drawnNodes(walk);
  const q = project(projection, walk.query);
  const qq = walk.query.reduce((a, v) => a + v * v, 0);
  // Polar placement: the direction from the PCA, the radius from the true distance.
  const angle = new Map<number, number>();
  const rad = new Map<number, number>();
  for (const s of byLevel.values()) {
    for (const j of s) {
      if (angle.has(j)) continue;
      const p = project(projection, vectors, j);
      angle.set(j, Math.atan2(p[1] - q[1], p[0] - q[0]));
      rad.set(j, trueRadius(metricType, qq, walkDistance(metricType, walk.query, vectors, j, d)));
    }
  }
  const [rmin, rmax] = options.radius ?? radiusRange(rad.values());
  const toR = (r: number) => (rmax > rmin ? 0.12 + (0.88 * (r - rmin)) / (rmax - rmin) : 0.5);
  // Oblique planes, level 0 (where most of the work happens) drawn 1.8 times as large.
  const Z = 1.8;
  const base = (level: number) => (level === 0 ? 0 : 0.41 * Z + 0.55 + (level - 1) * 0.95);
  const at = (u: number, v: number, level: number): [number, number] => {
    const s = level === 0 ? Z : 1;
    return [r3(s * (u + 0.45 * v)), r3(s * 0.38 * v + base(level))];
  };
  const xy = (j: number, level: number) => {
    const r = toR(rad.get(j)!);
    const a = angle.get(j)!;
    return at(r * Math.cos(a), r * Math.sin(a), level);
  };
  const top = walk.maxLevel;
  const data: Array<Record<string, unknown>> = [];
  const annotations: Array<Record<string, unknown>> = [];

  // The planes.
  const px: Array<number | null> = [];
  const py: Array<number | null> = [];
  for (let level = 0; level <= top; level++) {
    for (const [u, v] of [
      [-1.08, -1.08],
      [1.08, -1.08],
      [1.08, 1.08],
      [-1.08, 1.08],
      [-1.08, -1.08],
    ]) {
      const [x, y] = at(u, v, level);
      px.push(x);
      py.push(y);
    }
    px.push(null);
    py.push(null);
    const [lx, ly] = at(-1.08, -1.08, level);
    const n = byLevel.get(level)?.size ?? 0;
    const lv = walk.levels.find((l) => l.level === level);
    annotations.push({
      x: lx,
      y: ly,
      xanchor: 'left',
      yanchor: 'top',
      showarrow: false,
      font: { size: 11, color: '#555' },
      text: `level ${level}: ${n} nodes drawn, ${lv?.computed.length ?? 0} distances, ${lv?.hops.length ?? 0} ${level ? 'hops' : 'expansions'}`,
    });
  }
  data.push({
    type: 'scatter',
    mode: 'lines',
    x: px,
    y: py,
    fill: 'toself',
    fillcolor: 'rgba(120,140,170,0.08)',
    line: { color: 'rgba(120,140,170,0.5)', width: 1 },
    hoverinfo: 'skip',
    showlegend: false,
  });

  // The links the search followed to each node whose distance it computed.
  const ex: Array<number | null> = [];
  const ey: Array<number | null> = [];
  let links = 0;
  for (const lv of walk.levels) {
    const seen = new Set<string>();
    for (const c of lv.computed) {
      if (c.from < 0 || seen.has(`${c.from}-${c.node}`)) continue;
      seen.add(`${c.from}-${c.node}`);
      const a = xy(c.from, lv.level);
      const b = xy(c.node, lv.level);
      ex.push(a[0], b[0], null);
      ey.push(a[1], b[1], null);
      links++;
    }
  }
  data.push({
    type: 'scatter',
    mode: 'lines',
    name: 'links followed',
    x: ex,
    y: ey,
    line: { color: 'rgba(110,120,135,0.35)', width: 0.7 },
    hoverinfo: 'skip',
  });

  // The nodes, with their distance to the query.
  const dist = new Map<string, number>();
  for (const lv of walk.levels) for (const c of lv.computed) dist.set(`${lv.level}:${c.node}`, c.distance);
  const nx: number[] = [];
  const ny: number[] = [];
  const nt: string[] = [];
  let points = 0;
  for (const [level, s] of byLevel) {
    for (const j of s) {
      const [x, y] = xy(j, level);
      nx.push(x);
      ny.push(y);
      const dv = dist.get(`${level}:${j}`);
      nt.push(`node ${j}, level ${level}` + (dv === undefined ? ' (distance not computed)' : `<br>${fmt(dv)}`));
      points++;
    }
  }
  data.push({
    type: 'scatter',
    mode: 'markers',
    name: 'distance computed',
    x: nx,
    y: ny,
    text: nt,
    hovertemplate: '%{text}<extra></extra>',
    marker: { size: 4, color: GREY, opacity: 0.8 },
  });

  // On level 0, a ring at the k-th true neighbour's distance: the true neighbours lie inside it.
  if (walk.exact?.labels.length) {
    const last = walk.exact.distances[walk.exact.distances.length - 1];
    const r = toR(trueRadius(metricType, qq, metricType === MetricType.INNER_PRODUCT ? -last : last));
    const rx: number[] = [];
    const ry: number[] = [];
    for (let i = 0; i <= 48; i++) {
      const [x, y] = at(r * Math.cos((i * Math.PI) / 24), r * Math.sin((i * Math.PI) / 24), 0);
      rx.push(x);
      ry.push(y);
    }
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `distance of the ${walk.exact.labels.length}. true neighbour`,
      x: rx,
      y: ry,
      line: { color: GREEN, width: 1, dash: 'dot' },
      hoverinfo: 'skip',
    });
  }

  // Descents: the node each upper level hands down.
  const dx: Array<number | null> = [];
  const dy: Array<number | null> = [];
  for (const lv of walk.levels) {
    if (lv.level === 0) continue;
    const a = xy(lv.end, lv.level);
    const b = xy(lv.end, lv.level - 1);
    dx.push(a[0], b[0], null);
    dy.push(a[1], b[1], null);
  }
  data.push({
    type: 'scatter',
    mode: 'lines',
    name: 'down a level',
    x: dx,
    y: dy,
    line: { color: RED, width: 1.5, dash: 'dash' },
    hoverinfo: 'skip',
  });

  // The query on every level, the entry point on the top one.
  const qx: number[] = [];
  const qy: number[] = [];
  for (let level = 0; level <= top; level++) {
    const [x, y] = at(0, 0, level);
    qx.push(x);
    qy.push(y);
  }
  data.push({
    type: 'scatter',
    mode: 'markers',
    name: 'query',
    x: qx,
    y: qy,
    hovertemplate: 'the query<extra></extra>',
    marker: {
      symbol: 'star',
      size: qx.map((_, i) => (i === 0 ? 16 : 10)),
      color: GREEN,
      line: { color: '#fff', width: 1 },
    },
  });
  if (walk.entryPoint >= 0) {
    const [x, y] = xy(walk.entryPoint, top);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'entry point',
      x: [x],
      y: [y],
      hovertemplate: `entry point: node ${walk.entryPoint}<extra></extra>`,
      marker: { size: 13, color: RED, line: { color: '#fff', width: 1 } },
    });
  }

  // Level 0: the true neighbours, found or missed, and what else was returned.
  const truth = new Set(walk.exact?.labels ?? []);
  const found = walk.labels.filter((j) => j >= 0);
  const groups: Array<[string, number[], Record<string, unknown>]> = [
    [
      'true neighbour, found',
      found.filter((j) => truth.has(j)),
      { size: 11, color: GREEN, line: { color: '#114', width: 1.5 } },
    ],
    ['true neighbour, missed', walk.missed, { size: 12, color: RED, symbol: 'x', line: { color: '#fff', width: 1 } }],
    [
      walk.exact ? 'returned, not a true neighbour' : 'returned',
      found.filter((j) => !truth.has(j)),
      { size: 10, color: ORANGE, symbol: 'diamond' },
    ],
  ];
  for (const [name, nodes, marker] of groups) {
    if (!nodes.length) continue;
    const pts = nodes.map((j) => xy(j, 0));
    data.push({
      type: 'scatter',
      mode: 'markers',
      name,
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      text: nodes.map((j) => `node ${j}: ${name}`),
      hovertemplate: '%{text}<extra></extra>',
      marker,
    });
  }

  // The hops, grouped into at most maxSteps slider steps.
  const hops = walk.levels.flatMap((lv) => lv.hops);
  const maxSteps = Math.max(1, options.maxSteps ?? 40);
  const per = Math.ceil(hops.length / maxSteps) || 1;
  const first = data.length;
  const labels: string[] = [];
  for (let g = 0; g * per < hops.length; g++) {
    const part = hops.slice(g * per, (g + 1) * per);
    const hx: Array<number | null> = [];
    const hy: Array<number | null> = [];
    for (const h of part) {
      const b = xy(h.to, h.level);
      if (h.from >= 0) {
        const a = xy(h.from, h.level);
        hx.push(a[0], b[0], null);
        hy.push(a[1], b[1], null);
      } else {
        hx.push(b[0], null);
        hy.push(b[1], null);
      }
    }
    const level = part[0].level;
    labels.push(`${Math.min((g + 1) * per, hops.length)}`);
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'the walk',
      legendgroup: 'walk',
      showlegend: g === 0,
      x: hx,
      y: hy,
      text: part.map(
        (h) => `${h.level ? 'hop' : 'expand'} ${h.from >= 0 ? `${h.from} → ` : ''}${h.to} (level ${h.level})`,
      ),
      hoverinfo: 'skip',
      line: { color: RED, width: level > 0 ? 2.5 : 1.3 },
      marker: { size: level > 0 ? 7 : 5, color: RED },
    });
  }
  const nGroups = data.length - first;
  const indices = Array.from({ length: nGroups }, (_, i) => first + i);
  const steps = [{ label: '0', method: 'restyle', args: [{ visible: indices.map(() => false) }, indices] }].concat(
    labels.map((label, s) => ({
      label,
      method: 'restyle',
      args: [{ visible: indices.map((_, i) => i <= s) }, indices],
    })),
  );

  const k = walk.k;
  const truthCount = walk.exact?.labels.length ?? 0;
  const title =
    options.title ??
    `efSearch ${walk.efSearch}: ${walk.ndis.toLocaleString('en-US')} distances of ${walk.ntotal.toLocaleString('en-US')} ` +
      `(${pct(walk.ndis, walk.ntotal)}%), ${hops.length} hops` +
      (walk.exact ? `; ${truthCount - walk.missed.length} of ${truthCount} true neighbours found` : '');
  const caption =
    `drawn: ${points} points (the nodes whose distance was computed, the ${k} returned` +
    (walk.exact ? ' and the true ones' : '') +
    `) and ${links} links followed.<br>Distance from the star grows with the true ${distanceWord(walk.metricType)} ` +
    'distance to the query (nearest drawn node inside, farthest at the rim); the direction comes from a PCA';
  const figure: Figure = {
    data,
    layout: {
      title: { text: `${title}<br><sub>${caption}</sub>`, font: { size: 14 } },
      xaxis: { visible: false },
      yaxis: { visible: false, scaleanchor: 'x', scaleratio: 1 },
      legend: { orientation: 'v', x: 1.01, y: 1 },
      hovermode: 'closest',
      annotations,
      margin: { l: 10, r: 10, t: 90, b: 10 },
      sliders: nGroups
        ? [
            {
              active: steps.length - 1,
              steps,
              currentvalue: { prefix: `hops shown (of ${hops.length}): `, font: { size: 12 } },
              pad: { t: 10 },
              len: 0.9,
            },
          ]
        : [],
    },
  };
  return { figure, points, links };
}

function sourceOf(index: unknown): HNSWWalkSource {
  if (index instanceof IndexHNSW) return hnswWalkSource(index);
  const s = index as HNSWWalkSource;
  if (s?.graph && s.vectors instanceof Float32Array) return s;
  throw invalid('index', 'the HNSW index the walks ran on (or hnswWalkSource(index))', index);
}

/** One projection for several pictures: PCA of the rows all of them draw. */
function sharedProjection(vectors: Float32Array, d: number, rows: Set<number>): Projection {
  return pca2(
    vectors,
    d,
    [...rows].sort((a, b) => a - b),
  );
}

/**
 * Shows each walk (hnswWalk on this index, e.g. one query at two efSearch) as a
 * chart, all in one projection so they can be compared. An index with fewer than
 * two vectors, or a walk that did not run on it, shows a note instead.
 */
export function showHnswWalk(
  index: IndexHNSW | HNSWWalkSource,
  walks: HNSWWalk | HNSWWalk[],
  options: HnswWalkFigureOptions & { height?: number } = {},
): string | undefined {
  const list = Array.isArray(walks) ? walks : [walks];
  if (!list.length || !list.every((w) => w && Array.isArray(w.levels) && w.query instanceof Float32Array)) {
    throw invalid('walks', 'hnswWalk(...) results (one or an array)', walks);
  }
  const src = sourceOf(index);
  const n = src.graph.ntotal;
  if (n < 2) {
    return displayHtml(
      noteHtml(
        `Nothing to draw: the index holds ${n === 0 ? 'no vectors' : 'one vector'}, so there is no graph to walk ` +
          `(${n === 0 ? 'a search returns -1 for every neighbour' : 'every search returns that vector'}). Add vectors first.`,
        'warning',
      ),
    );
  }
  const stale = list.find((w) => w.ntotal !== n || w.query.length !== src.d);
  if (stale) {
    return displayHtml(
      noteHtml(
        `This walk ran on another graph (${stale.ntotal} nodes, d=${stale.query.length}; the index now holds ${n}, d=${src.d}): ` +
          'walk it again with hnswWalk(index, query).',
        'warning',
      ),
    );
  }
  const rows = new Set<number>();
  for (const w of list) for (const s of drawnNodes(w).values()) for (const j of s) rows.add(j);
  const projection = sharedProjection(src.vectors, src.d, rows);
  // One radial scale for walks of one query (e.g. efSearch 16 and 64), so their pictures compare.
  const sameQuery = list.every((w) => w.query.every((v, t) => v === list[0].query[t]));
  let radius = options.radius;
  if (!radius && sameQuery) {
    const qq = list[0].query.reduce((a, v) => a + v * v, 0);
    radius = radiusRange(
      [...rows].map((j) =>
        trueRadius(src.metricType, qq, walkDistance(src.metricType, list[0].query, src.vectors, j, src.d)),
      ),
    );
  }
  const html: string[] = [];
  for (const w of list) {
    const { figure } = hnswWalkFigure(src, w, projection, { ...options, radius });
    const height = options.height ?? 520 + 165 * Math.max(0, w.maxLevel);
    const out = showChart(figure, { height });
    if (out) html.push(out);
  }
  return html.length ? html.join('\n') : undefined;
}

// ---- IVF -----------------------------------------------------------------------

export interface IvfFigureOptions {
  /** Most database vectors drawn, an even sample (default 2000). */
  maxPoints?: number;
  title?: string;
}

function listsOf(index: unknown): IVFLists {
  if (index instanceof IndexIVF) return ivfLists(index, { vectors: index instanceof IndexIVFFlat });
  const l = index as IVFLists;
  if (l && l.centroids instanceof Float32Array && l.sizes instanceof Float64Array) return l;
  throw invalid('index', 'the IVF index the probes ran on (or ivfLists(index))', index);
}

/** Positions of the sampled vectors: every step-th, plus the given ones. */
function samplePositions(ntotal: number, maxPoints: number, extra: Iterable<number>): number[] {
  const step = Math.max(1, Math.ceil(ntotal / Math.max(1, maxPoints)));
  const s = new Set<number>();
  for (let j = 0; j < ntotal; j += step) s.add(j);
  for (const j of extra) s.add(j);
  return [...s].sort((a, b) => a - b);
}

/**
 * A probe as a figure: the centroids (x), the sampled vectors coloured by cell
 * when their cell was visited (grey otherwise), the visited centroids numbered in
 * probe order, the query (green star) and its true neighbours, found (green) or
 * missed (red x).
 */
export function ivfCellsFigure(
  lists: IVFLists,
  probe: IVFProbe,
  projection: Projection,
  options: IvfFigureOptions = {},
): DrawnFigure {
  const { nlist } = lists;
  const ntotal = lists.ids.length;
  const cellOf = new Int32Array(ntotal);
  for (let c = 0; c < nlist; c++) cellOf.fill(c, lists.lims[c], lists.lims[c + 1]);
  const posOf = new Map<bigint, number>();
  lists.ids.forEach((id, j) => {
    posOf.set(id, j);
  });
  const truthPos = (probe.exact?.labels ?? []).map((id) => posOf.get(BigInt(id))!).filter((j) => j !== undefined);
  const data: Array<Record<string, unknown>> = [];
  let points = 0;
  const rank = new Map(probe.cells.map((c, r) => [c, r]));
  if (lists.vectors) {
    const sample = samplePositions(ntotal, options.maxPoints ?? 2000, truthPos);
    const other = sample.filter((j) => !rank.has(cellOf[j]));
    const pts = (js: number[]) => js.map((j) => project(projection, lists.vectors!, j));
    const o = pts(other);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'vectors in other cells',
      x: o.map((p) => r3(p[0])),
      y: o.map((p) => r3(p[1])),
      text: other.map((j) => `id ${lists.ids[j]}, cell ${cellOf[j]}`),
      hovertemplate: '%{text}<extra></extra>',
      marker: { size: 3, color: 'rgba(140,150,160,0.45)' },
    });
    points += other.length;
    probe.cells.forEach((c, r) => {
      const js = sample.filter((j) => cellOf[j] === c);
      const p = pts(js);
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: `cell ${c} (visited ${r + 1}.), ${lists.sizes[c]} vectors`,
        legendgroup: 'cells',
        showlegend: r < 8,
        x: p.map((v) => r3(v[0])),
        y: p.map((v) => r3(v[1])),
        text: js.map((j) => `id ${lists.ids[j]}, cell ${c} (visited ${r + 1}.)`),
        hovertemplate: '%{text}<extra></extra>',
        marker: { size: 5, color: PALETTE[r % PALETTE.length], opacity: 0.85 },
      });
      points += js.length;
    });
  }
  const cen = Array.from({ length: nlist }, (_, c) => project(projection, lists.centroids, c));
  data.push({
    type: 'scatter',
    mode: 'markers',
    name: 'centroids',
    x: cen.map((p) => r3(p[0])),
    y: cen.map((p) => r3(p[1])),
    text: cen.map((_, c) => `centroid of cell ${c}: ${lists.sizes[c]} vectors`),
    hovertemplate: '%{text}<extra></extra>',
    marker: { symbol: 'x-thin', size: 7, color: '#333', line: { color: '#333', width: 1.5 } },
  });
  data.push({
    type: 'scatter',
    mode: 'markers+text',
    name: 'visited centroids (probe order)',
    x: probe.cells.map((c) => r3(cen[c][0])),
    y: probe.cells.map((c) => r3(cen[c][1])),
    text: probe.cells.map((_, r) => String(r + 1)),
    textposition: 'top center',
    customdata: probe.cells.map((c, r) => `cell ${c}, visited ${r + 1}.: ${fmt(probe.cellDistances[r])}`),
    hovertemplate: '%{customdata}<extra></extra>',
    marker: {
      size: 12,
      color: probe.cells.map((_, r) => PALETTE[r % PALETTE.length]),
      line: { color: '#000', width: 1.5 },
    },
  });
  points += 2 * nlist;
  const q = project(projection, probe.query);
  data.push({
    type: 'scatter',
    mode: 'markers',
    name: 'query',
    x: [r3(q[0])],
    y: [r3(q[1])],
    hovertemplate: 'the query<extra></extra>',
    marker: { symbol: 'star', size: 17, color: GREEN, line: { color: '#fff', width: 1 } },
  });
  if (probe.exact && lists.vectors) {
    const found = new Set(probe.labels ?? []);
    for (const [name, want, marker] of [
      ['true neighbour, found', true, { size: 11, color: 'rgba(0,0,0,0)', line: { color: GREEN, width: 2.5 } }],
      ['true neighbour, missed (cell not visited)', false, { size: 11, color: RED, symbol: 'x' }],
    ] as const) {
      const ids = probe.exact.labels.filter((id) => found.has(id) === want);
      const p = ids.map((id) => project(projection, lists.vectors!, posOf.get(BigInt(id))!));
      if (!ids.length) continue;
      data.push({
        type: 'scatter',
        mode: 'markers',
        name,
        x: p.map((v) => r3(v[0])),
        y: p.map((v) => r3(v[1])),
        text: ids.map((id) => `id ${id} in cell ${cellOf[posOf.get(BigInt(id))!]}`),
        hovertemplate: '%{text}<extra></extra>',
        marker,
      });
    }
  }
  const truthCount = probe.exact?.labels.length ?? 0;
  const title =
    options.title ??
    `nprobe ${probe.nprobe}: ${probe.scanned.toLocaleString('en-US')} of ${ntotal.toLocaleString('en-US')} vectors scanned ` +
      `in ${probe.nprobe} of ${nlist} cells, ${probe.ndis.toLocaleString('en-US')} distances (${pct(probe.ndis, ntotal)}% of a flat scan)` +
      (probe.exact ? `; ${truthCount - (probe.missed?.length ?? 0)} of ${truthCount} true neighbours found` : '');
  const caption =
    `drawn: ${points} points (${lists.vectors ? `a sample of the vectors, ` : ''}the ${nlist} centroids` +
    `${probe.exact ? ', the true neighbours' : ''}); PCA of the ${lists.vectors ? 'sample' : 'centroids'}; cells are regions in ${lists.d}-d, ` +
    'so in 2-D they overlap';
  return {
    figure: {
      data,
      layout: {
        title: { text: `${title}<br><sub>${caption}</sub>`, font: { size: 14 } },
        xaxis: { visible: false },
        yaxis: { visible: false, scaleanchor: 'x', scaleratio: 1 },
        legend: { orientation: 'v', x: 1.01, y: 1 },
        hovermode: 'closest',
        margin: { l: 10, r: 10, t: 70, b: 10 },
      },
    },
    points,
    links: 0,
  };
}

/** The list sizes as a histogram, with the cells each probe visited stacked on top. */
export function ivfSizesFigure(lists: IVFLists, probes: IVFProbe[]): Figure {
  const sizes = Array.from(lists.sizes);
  const max = Math.max(1, ...sizes);
  const bins = Math.min(30, max + 1);
  const width = Math.ceil((max + 1) / bins);
  const binOf = (s: number) => Math.min(bins - 1, Math.floor(s / width));
  const centre = Array.from({ length: bins }, (_, b) => b * width + (width - 1) / 2);
  const label = (b: number) => (width === 1 ? `${b}` : `${b * width}-${(b + 1) * width - 1}`);
  const count = (cells: Iterable<number>) => {
    const c = new Array<number>(bins).fill(0);
    for (const l of cells) c[binOf(sizes[l])]++;
    return c;
  };
  const data: Array<Record<string, unknown>> = [
    {
      type: 'bar',
      name: `all ${lists.nlist} cells`,
      x: centre,
      y: count(sizes.keys()),
      text: centre.map((_, b) => label(b)),
      hovertemplate: '%{y} cells hold %{text} vectors<extra></extra>',
      marker: { color: 'rgba(140,150,160,0.6)' },
    },
  ];
  probes.forEach((p, i) => {
    data.push({
      type: 'bar',
      name: `visited at nprobe ${p.nprobe}`,
      x: centre,
      y: count(p.cells),
      text: centre.map((_, b) => label(b)),
      hovertemplate: `%{y} visited cells (nprobe ${p.nprobe}) hold %{text} vectors<extra></extra>`,
      marker: { color: PALETTE[i % PALETTE.length] },
      width: width * (0.7 - 0.15 * Math.min(i, 3)),
    });
  });
  const mean = lists.ids.length / lists.nlist;
  return {
    data,
    layout: {
      title: {
        text:
          `list sizes: ${lists.nlist} cells, ${lists.ids.length.toLocaleString('en-US')} vectors, mean ${mean.toFixed(1)}, ` +
          `smallest ${Math.min(...sizes)}, largest ${max}`,
      },
      barmode: 'overlay',
      xaxis: { title: { text: 'vectors in the cell (list size)' } },
      yaxis: { title: { text: 'cells' } },
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/**
 * Shows each probe (ivfProbe on this index, e.g. one query at nprobe 1 and 8) as
 * a chart in one projection, then the list sizes as a histogram with the visited
 * cells marked. An untrained or empty index shows a note instead.
 */
export function showIvfCells(
  index: IndexIVF | IVFLists,
  probes: IVFProbe | IVFProbe[],
  options: IvfFigureOptions & { height?: number } = {},
): string | undefined {
  const list = Array.isArray(probes) ? probes : [probes];
  if (!list.length || !list.every((p) => p && Array.isArray(p.cells) && p.query instanceof Float32Array)) {
    throw invalid('probes', 'ivfProbe(...) results (one or an array)', probes);
  }
  if (index instanceof IndexIVF && (!index.isTrained || index.quantizer.ntotal !== index.nlist)) {
    return displayHtml(noteHtml('Nothing to draw: the IVF index is not trained yet, so it has no cells.', 'warning'));
  }
  const lists = listsOf(index);
  if (lists.ids.length === 0) {
    return displayHtml(
      noteHtml(`Nothing to draw: the index's ${lists.nlist} cells are empty. Add vectors first.`, 'warning'),
    );
  }
  const stale = list.find((p) => p.nlist !== lists.nlist || p.ntotal !== lists.ids.length);
  if (stale) {
    return displayHtml(
      noteHtml(
        `This probe ran on another index (${stale.nlist} cells, ${stale.ntotal} vectors; this one has ${lists.nlist}, ` +
          `${lists.ids.length}): probe it again with ivfProbe(index, query).`,
        'warning',
      ),
    );
  }
  const ntotal = lists.ids.length;
  let projection: Projection;
  if (lists.vectors) {
    const rows = samplePositions(ntotal, options.maxPoints ?? 2000, []);
    projection = pca2(lists.vectors, lists.d, rows);
  } else {
    projection = pca2(
      lists.centroids,
      lists.d,
      Array.from({ length: lists.nlist }, (_, c) => c),
    );
  }
  const html: string[] = [];
  for (const p of list) {
    const out = showChart(ivfCellsFigure(lists, p, projection, options).figure, { height: options.height ?? 560 });
    if (out) html.push(out);
  }
  const out = showChart(ivfSizesFigure(lists, list), { height: 360 });
  if (out) html.push(out);
  return html.length ? html.join('\n') : undefined;
}
