/**
 * Showing HTML in the running notebook (tslab kernel), or handing it back
 * outside one (scripts, tests), so every display helper works everywhere.
 */

interface TslabDisplay {
  html(s: string): void;
}

/** Whether this process is a tslab kernel executing a cell (where display works). */
export function inNotebook(): boolean {
  try {
    return require('tslab/dist/jupyter').lastWriteDisplayData != null;
  } catch {
    return false;
  }
}

/**
 * Shows html as the cell's output in a notebook and returns undefined there (so
 * nothing is echoed as text); outside a kernel returns the html.
 */
export function displayHtml(html: string): string | undefined {
  if (!inNotebook()) return html;
  (require('tslab').display as TslabDisplay).html(html);
  return undefined;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON safe to put inside a <script> element (no "</script>", no U+2028/2029 breaks). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let counter = 0;
/** An element id unique within this process and unlikely to clash across runs. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Shared look of the lab's outputs (inline: the export must stand alone). */
export const STYLE = {
  font: "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:13px",
  hit: '#2e8b57',
  miss: '#c0392b',
  query: '#2a6fdb',
  muted: '#666',
};

const NOTE_STYLE = {
  info: 'background:#eef5ff;border-left:4px solid #2a6fdb',
  answer: 'background:#eefaf2;border-left:4px solid #2e8b57',
  warning: 'background:#fff6e0;border-left:4px solid #e0a000',
};

/**
 * A short message in a coloured box: what was loaded ('info'), the answer to
 * the task ('answer'), or something the reader must know ('warning', e.g. DEMO
 * DATA). Lines become paragraphs; text is escaped, `code` spans kept.
 */
export function noteHtml(text: string, kind: keyof typeof NOTE_STYLE = 'info'): string {
  const paragraphs = String(text)
    .split(/\n+/)
    .map((line) => `<p style="margin:2px 0">${escapeHtml(line).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('');
  return `<div class="lab-note lab-note-${kind}" style="${STYLE.font};${NOTE_STYLE[kind]};padding:6px 10px;margin:4px 0">${paragraphs}</div>`;
}

/** Shows a note in a notebook (and prints it in a terminal); outside a kernel returns its HTML. */
export function showNote(text: string, kind: keyof typeof NOTE_STYLE = 'info'): string | undefined {
  return displayHtml(noteHtml(text, kind));
}
