/**
 * Charts as Plotly figures inside HTML outputs. Jupyter's Plotly MIME type
 * renders neither in nbconvert's export nor in Notebook 6, so the library
 * (plotly.js-basic: scatter, bar, pie; 1.1 MB) is embedded as a <script> in
 * the first chart a kernel shows, and every chart draws itself with
 * Plotly.newPlot: the exported HTML draws offline.
 *
 * @example
 * showParetoChart(grid.rows, { quality: 'precision' });
 * showChart({ data: [{ x: [1, 2], y: [3, 4], type: 'scatter' }], layout: { title: { text: 't' } } });
 */
import * as fs from 'node:fs';
import type { GridRow } from '../eval/grid';
import { paretoFront } from '../eval/grid';
import { displayHtml, escapeHtml, inNotebook, STYLE, scriptJson, uniqueId } from './display';

/** A Plotly figure: traces and layout, as plotly.js takes them. */
export interface Figure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
}

export interface ChartOptions {
  /** Include plotly.js in this output (default: in the first chart of a kernel, always outside one). */
  includePlotly?: boolean;
  /** Height in pixels (default 420). */
  height?: number;
}

let plotlySource: string | undefined;
let plotlyShown = false;

/** plotly.js-basic's source, made safe to sit inside a <script> element. */
export function plotlyScript(): string {
  if (!plotlySource) {
    const file = require.resolve('plotly.js-basic-dist-min');
    plotlySource = fs.readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return `<script type="text/javascript">/* plotly.js-basic (MIT) */\n${plotlySource}\n</script>`;
}

/** A figure as HTML: a div and the script that draws it (plus plotly.js when asked). */
export function chartHtml(figure: Figure, options: ChartOptions & { includePlotly: boolean }): string {
  if (!figure || !Array.isArray(figure.data)) throw new TypeError('a chart needs a figure { data: [traces], layout? }');
  const id = uniqueId('lab-chart');
  const height = options.height ?? 420;
  const layout = { height, margin: { l: 60, r: 20, t: 50, b: 50 }, ...(figure.layout ?? {}) };
  const config = { displaylogo: false, responsive: true, staticPlot: false };
  const fallback =
    'The chart needs plotly.js, which the first chart of this notebook brings: re-run the notebook from the top (Kernel, Restart &amp; Run All).';
  const draw =
    `(function(){var el=document.getElementById(${scriptJson(id)});` +
    `if(!window.Plotly){el.innerHTML=${scriptJson(`<div style="color:${STYLE.miss}">${fallback}</div>`)};return;}` +
    `window.Plotly.newPlot(el,${scriptJson(figure.data)},${scriptJson(layout)},${scriptJson(config)});})();`;
  return (
    `${options.includePlotly ? plotlyScript() : ''}<div id="${escapeHtml(id)}" class="lab-chart" style="${STYLE.font};width:100%;min-height:${height}px"></div>` +
    `<script type="text/javascript">${draw}</script>`
  );
}

/** Shows a figure in a notebook (plotly.js comes with the kernel's first chart); outside one returns its HTML. */
export function showChart(figure: Figure, options: ChartOptions = {}): string | undefined {
  const notebook = inNotebook();
  const includePlotly = options.includePlotly ?? (notebook ? !plotlyShown : true);
  const html = chartHtml(figure, { ...options, includePlotly });
  if (notebook && includePlotly) plotlyShown = true;
  return displayHtml(html);
}

export interface ParetoChartOptions extends ChartOptions {
  /** The quality axis (default 'precision' when the rows have it, else 'recall'). */
  quality?: 'precision' | 'recall';
  /** A title (default: "<quality> vs latency"). */
  title?: string;
  /** Log-scale latency axis (default true: latencies span orders of magnitude). */
  logLatency?: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/**
 * The grid as a scatter of quality against latency, one colour per metric,
 * with the Pareto front (settings no other beats on both) drawn as a line.
 */
export function paretoFigure(rows: GridRow[], options: ParetoChartOptions = {}): Figure {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new TypeError('paretoFigure needs grid rows (runGrid(...).rows)');
  const quality = options.quality ?? (rows.every((r) => typeof r.precision === 'number') ? 'precision' : 'recall');
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const traces: Array<Record<string, unknown>> = metrics.map((m, i) => {
    const group = rows.filter((r) => r.metric === m);
    return {
      type: 'scatter',
      mode: 'markers',
      name: m,
      x: group.map((r) => r.latencyMs),
      y: group.map((r) => r[quality]),
      text: group.map((r) => r.label),
      hovertemplate: '%{text}<br>%{x:.3f} ms, %{y:.3f}<extra></extra>',
      marker: { size: 9, color: PALETTE[i % PALETTE.length], opacity: 0.8 },
    };
  });
  const front = paretoFront(rows, quality);
  traces.push({
    type: 'scatter',
    mode: 'lines+markers',
    name: 'Pareto front',
    x: front.map((r) => r.latencyMs),
    y: front.map((r) => r[quality]),
    text: front.map((r) => r.label),
    hovertemplate: '%{text}<br>%{x:.3f} ms, %{y:.3f}<extra>Pareto front</extra>',
    line: { color: '#333', dash: 'dot', shape: 'hv' },
    marker: { size: 13, color: 'rgba(0,0,0,0)', line: { color: '#333', width: 2 } },
  });
  return {
    data: traces,
    layout: {
      title: { text: options.title ?? `${quality}@k vs search latency` },
      xaxis: {
        title: { text: 'latency of the query batch (ms, median)' },
        type: options.logLatency === false ? 'linear' : 'log',
      },
      yaxis: { title: { text: `${quality}@k` } },
      legend: { orientation: 'h', y: -0.2 },
    },
  };
}

/** Shows the grid's quality-vs-latency chart with its Pareto front. */
export function showParetoChart(rows: GridRow[], options: ParetoChartOptions = {}): string | undefined {
  return showChart(paretoFigure(rows, options), options);
}
