/// <reference lib="dom" />
// Opens an HTML file in Debian's chromium (playwright-core, no browser download)
// and reports what a reader would see: images decoded, charts drawn, page errors,
// and every request that left the file.
import * as fs from 'node:fs';

export const CHROMIUM = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';

export interface PageReport {
  images: number;
  /** Images whose pixels decoded (complete and naturalWidth > 0). */
  decoded: number;
  /** .lab-chart elements, and those with a drawn Plotly svg. */
  charts: number;
  drawnCharts: number;
  placeholders: number;
  /** .lab-note boxes, and those drawn with their background (inline styles intact). */
  notes: number;
  styledNotes: number;
  pageErrors: string[];
  /** http(s) requests the page made (answered with an abort: the machine is offline). */
  externalRequests: string[];
  text: string;
}

export function hasChromium(): boolean {
  return fs.existsSync(CHROMIUM);
}

export async function openInBrowser(file: string, screenshot?: string): Promise<PageReport> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors: string[] = [];
    const externalRequests: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.route(/^https?:/, (route) => {
      externalRequests.push(route.request().url());
      return route.abort();
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const charts = await page.locator('.lab-chart').count();
    if (charts > 0) {
      await page
        .waitForFunction((n) => document.querySelectorAll('.lab-chart .main-svg').length >= n, charts, {
          timeout: 30000,
        })
        .catch(() => undefined);
    }
    const report = await page.evaluate(() => {
      const imgs = Array.from(document.querySelectorAll('img'));
      return {
        images: imgs.length,
        decoded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
        drawnCharts: Array.from(document.querySelectorAll('.lab-chart')).filter((c) => c.querySelector('svg.main-svg'))
          .length,
        placeholders: document.querySelectorAll('.lab-placeholder').length,
        notes: document.querySelectorAll('.lab-note').length,
        styledNotes: Array.from(document.querySelectorAll('.lab-note')).filter(
          (n) => getComputedStyle(n).backgroundColor !== 'rgba(0, 0, 0, 0)',
        ).length,
        // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, what a reader sees
        text: document.body.innerText,
      };
    });
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { ...report, charts, pageErrors, externalRequests };
  } finally {
    await browser.close();
  }
}

/** Requests nbconvert's default template makes on its own (require.js and MathJax from a CDN). */
export function isTemplateRequest(url: string): boolean {
  return /require(\.min)?\.js|mathjax/i.test(url);
}
