/**
 * The report over a folder of submissions: one row per student, as an aligned
 * table for the terminal, as report.csv (for a spreadsheet) and as a
 * self-contained report.html (inline style, no scripts, every submitted text
 * escaped: nothing of a submission runs when the teacher opens it).
 *
 * @example
 * writeReport('out', checks);   // out/report.csv, out/report.html
 * console.log(reportText(checks));
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files';
import { escapeHtml } from '../show/display';
import type { StudentCheck } from './checks';

export interface ReportRow {
  student: string;
  notebooks: string;
  html: string;
  task4: string;
  precision: string;
  photos: string;
  rerun: string;
  /** ok when nothing needs a look, else how many findings. */
  verdict: string;
}

const COLUMNS: Array<[keyof ReportRow, string]> = [
  ['student', 'student'],
  ['notebooks', 'notebooks (tasks 1-6)'],
  ['html', 'HTML'],
  ['task4', 'task 4'],
  ['precision', 'precision@k'],
  ['photos', 'photos'],
  ['rerun', 're-run'],
  ['verdict', 'verdict'],
];

/** Counts of a list of statuses, "ok" first: "4 ok, 1 error, 1 missing". */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const keys = [...counts.keys()].sort((a, b) => (a === 'ok' ? -1 : b === 'ok' ? 1 : 0));
  return keys.map((k) => `${counts.get(k)} ${k}`).join(', ');
}

/** Every finding of a student, as sentences (what a teacher reads under the table). */
export function findingsOf(c: StudentCheck): string[] {
  const out = [...c.problems];
  const missing = c.tasks.filter((t) => t.status === 'missing').map((t) => t.task);
  if (missing.length) out.push(`no notebook for task${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  for (const t of c.tasks) {
    if (t.htmlStatus === 'missing' && t.status !== 'missing') out.push(`task ${t.task}: no HTML export`);
    out.push(...t.notes.map((n) => `task ${t.task}: ${n}`));
  }
  const t4 = c.tasks.find((t) => t.task === 4);
  if (c.task4.status !== 'ok' && t4?.read) out.push(`task 4: ${c.task4.notes.join('; ') || c.task4.summary}`);
  if (c.precision.status === 'differs') out.push(...c.precision.notes);
  if (c.photos.status !== 'ok') out.push(`photos: ${c.photos.notes.join('; ')}`);
  if (c.rerun && c.rerun.status !== 'ok') out.push(`re-run: ${c.rerun.notes.join('; ') || c.rerun.summary}`);
  // One line each: a quoted error or traceback keeps the table, the CSV's rows and a grep usable.
  return out.map((f) => f.replace(/\s*[\r\n]+\s*/g, ' / '));
}

export function reportRow(c: StudentCheck): ReportRow {
  const findings = findingsOf(c);
  return {
    student: c.student,
    notebooks: tally(c.tasks.map((t) => t.status)),
    html: tally(c.tasks.filter((t) => t.status !== 'missing' || t.html).map((t) => t.htmlStatus)) || 'missing',
    task4: c.task4.status === 'ok' ? 'ok' : `${c.task4.status}`,
    precision: c.precision.status,
    photos: c.photos.status === 'ok' ? `ok (${c.photos.photos})` : c.photos.status,
    rerun: c.rerun ? c.rerun.status : '-',
    verdict: findings.length ? `look (${findings.length})` : 'ok',
  };
}

/** The table for the terminal, then each student's findings. */
/** Text cut at a word before `max` characters, saying so and where the rest is. */
function shorten(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.lastIndexOf(' ', max - 30);
  return `${s.slice(0, cut > max / 2 ? cut : max - 30)} ... (in full in report.csv)`;
}

export function reportText(checks: StudentCheck[]): string {
  const rows = checks.map(reportRow);
  const width = COLUMNS.map(([k, h]) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => v.padEnd(width[i]))
      .join('  ')
      .trimEnd();
  const out = [line(COLUMNS.map(([, h]) => h)), line(width.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(line(COLUMNS.map(([k]) => r[k])));
  for (const c of checks) {
    const f = findingsOf(c);
    if (f.length === 0) continue;
    out.push('', `${c.student} (${c.entry}):`);
    for (const s of f) out.push(`  - ${shorten(s.replace(/\s+/g, ' '), 300)}`);
  }
  return out.join('\n');
}

/** A CSV field, quoted when needed; a leading = + - @ is defused so a spreadsheet shows it as text. */
export function csvField(v: string): string {
  // A spreadsheet would run a cell that starts a formula; a lone '-' (nothing to report) is not one.
  const safe = v !== '-' && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(checks: StudentCheck[]): string {
  const head = [...COLUMNS.map(([k]) => k), 'entry', 'findings'];
  const lines = checks.map((c) => {
    const r = reportRow(c);
    return [...COLUMNS.map(([k]) => r[k]), c.entry, findingsOf(c).join(' | ')].map(csvField).join(',');
  });
  return `${[head.join(','), ...lines].join('\n')}\n`;
}

const COLOR: Record<string, string> = {
  ok: '#d9f2e3',
  missing: '#f6dcdc',
  damaged: '#f6dcdc',
  error: '#f6dcdc',
  differs: '#fff1c7',
  scripts: '#f6dcdc',
  'not run': '#fff1c7',
  loose: '#fff1c7',
};

export function reportHtml(checks: StudentCheck[], meta: { dir: string; when: Date; rerun: boolean }): string {
  const td = (v: string) => {
    const color = COLOR[v.split(/[ (,]/)[0]] ?? (v.startsWith('look') ? '#fff1c7' : '');
    return `<td style="padding:3px 8px;${color ? `background:${color}` : ''}">${escapeHtml(v)}</td>`;
  };
  const rows = checks.map((c) => {
    const r = reportRow(c);
    return `<tr><td style="padding:3px 8px"><a href="#s${checks.indexOf(c)}">${escapeHtml(r.student)}</a></td>${COLUMNS.slice(
      1,
    )
      .map(([k]) => td(r[k]))
      .join('')}</tr>`;
  });
  const details = checks.map((c, i) => {
    const tasks = c.tasks
      .map(
        (t) =>
          `<tr><td style="padding:2px 8px">task ${t.task}</td>${td(t.status)}<td style="padding:2px 8px">${escapeHtml(
            t.executed ?? '',
          )}</td>${td(t.htmlStatus)}<td style="padding:2px 8px">${escapeHtml(t.notebook ?? '')}</td></tr>`,
      )
      .join('');
    const findings = findingsOf(c);
    const list = findings.length
      ? `<ul>${findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`
      : '<p>Nothing to look at.</p>';
    return (
      `<h3 id="s${i}">${escapeHtml(c.student)} <small style="color:#666">${escapeHtml(c.entry)}</small></h3>` +
      `<table style="border-collapse:collapse"><tr><th>task</th><th>notebook</th><th>cells run</th><th>HTML</th><th>file</th></tr>${tasks}</table>` +
      `<p>Task 4: ${escapeHtml(c.task4.summary)}<br>precision@k: ${escapeHtml(c.precision.summary)}<br>` +
      `Photos: ${escapeHtml(c.photos.status)}, ${c.photos.photos} photo(s)` +
      (c.rerun ? `<br>Re-run: ${escapeHtml(c.rerun.summary)}` : '') +
      `</p>${list}`
    );
  });
  const head = COLUMNS.map(
    ([, h]) => `<th style="padding:3px 8px;border-bottom:2px solid #999;text-align:left">${escapeHtml(h)}</th>`,
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Submissions: ${escapeHtml(path.basename(meta.dir))}</title></head>
<body style="font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;margin:20px">
<h1>Submissions in ${escapeHtml(meta.dir)}</h1>
<p>${checks.length} submission(s), checked ${escapeHtml(meta.when.toISOString())}${meta.rerun ? ', notebooks re-run' : ''}.</p>
<table style="border-collapse:collapse"><thead><tr>${head.join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>
<h2>Per student</h2>
${details.join('\n')}
</body></html>
`;
}

/** Writes report.csv and report.html into `out`; returns their paths. */
export function writeReport(
  out: string,
  checks: StudentCheck[],
  meta: { dir: string; when: Date; rerun: boolean },
): { csv: string; html: string } {
  const csv = path.join(out, 'report.csv');
  const html = path.join(out, 'report.html');
  writeFileAtomic(csv, reportCsv(checks));
  writeFileAtomic(html, reportHtml(checks, meta));
  return { csv, html };
}
