// Page-quality checks for a running Masthead site (BASE_URL, e.g. http://127.0.0.1:8080).
// It reads the JSON API to collect one or more URLs of every public page type: home, articles (demo
// and imported), static pages, sections (one nested), tags, authors, date archives, page 2 and the
// 404 page. Then, for each URL, it checks:
//   - the HTTP status (404 for the 404 URL, 200 for the others);
//   - the HTML, with the Nu HTML Checker (vnu.jar, one JVM for all files). No errors are allowed;
//   - accessibility, with axe-core (WCAG 2.0/2.1 A and AA rules) in Debian's Chromium. No violations
//     are allowed.
// These are real external validators, so the suite catches what our own Rust tests cannot see.
// It also saves full-page screenshots of the home page and an article page, at desktop and phone
// widths, to SHOTS_DIR (default /tmp/masthead-shots) for a person to look at.
// It ends with "pages: N passed, M failed" and exits 1 if any URL failed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axeContextOptions, axeProblems, launchBrowser, report, validateHtml } from './lib.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const CORPUS = process.env.CORPUS_IMPORTED === '1'; // run.sh imported bbc-news articles
const SHOTS = process.env.SHOTS_DIR || '/tmp/masthead-shots';
const NOT_FOUND = '/this-page-does-not-exist/';

const api = async (path) => {
  const res = await fetch(BASE + path);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
};
const html = async (path) => (await fetch(BASE + path)).text();
const hasNext = async (path) => /<link rel="next"/.test(await html(path));

// ---- 1. The URL set, read from the API ----------------------------------------------------------
async function collectUrls() {
  const articles = await api('/api/v1/articles?per_page=100');
  const sections = await api('/api/v1/sections');
  const tags = await api('/api/v1/tags');
  const authors = await api('/api/v1/authors');
  const demo = articles.filter((a) => a.external_id?.startsWith('demo:'));
  const imported = articles.filter((a) => !a.external_id?.startsWith('demo:'));
  const urls = new Set(['/', '/page/2/', '/about/', '/contact/', '/privacy/', '/newsroom/login']);
  // Three demo articles from different sections, two imported ones.
  const seen = new Set();
  for (const a of demo) {
    if (seen.size < 3 && !seen.has(a.section.slug)) { seen.add(a.section.slug); urls.add(a.url); }
  }
  if (CORPUS) {
    if (imported.length < 2) throw new Error(`expected imported articles, the API lists ${imported.length}`);
    imported.slice(0, 2).forEach((a) => urls.add(a.url));
  }
  // Sections: the nested one (technology has a parent) and a top-level one.
  const nested = sections.find((s) => s.slug === 'technology') || sections.find((s) => s.parent);
  const top = sections.find((s) => !s.parent);
  [nested, top].forEach((s) => s && urls.add(s.url));
  // Tags and authors actually used by articles, so their pages have content.
  [...new Set(demo.flatMap((a) => a.tags.map((t) => t.url)))].slice(0, 2).forEach((u) => urls.add(u));
  authors.slice(0, 2).forEach((a) => urls.add(a.url));
  // Year, month and day archives of the newest article (its URL holds the site-timezone date).
  const [, y, m, d] = articles[0].url.match(/^\/(\d{4})\/(\d{2})\/(\d{2})\//);
  [`/${y}/`, `/${y}/${m}/`, `/${y}/${m}/${d}/`].forEach((u) => urls.add(u));
  // Page 2 of the first section that has one (the site says so with <link rel="next">).
  for (const s of sections) {
    if (await hasNext(s.url)) { urls.add(`${s.url}page/2/`); break; }
  }
  // Search: the help page, results for a word of the newest story's title, and a
  // misspelling of it (the page offers "Did you mean").
  const word = articles[0].title.split(/\W+/).find((w) => w.length >= 6) || 'harbour';
  const typo = word.slice(0, 2) + word[3] + word[2] + word.slice(4);
  ['/search', `/search?q=${encodeURIComponent(word)}`, `/search?q=${encodeURIComponent(typo)}&sort=newest`].forEach((u) => urls.add(u));
  urls.add(NOT_FOUND);
  if (tags.length < 2 || authors.length < 2 || sections.length < 2) throw new Error('the API lists too few sections, tags or authors');
  return [...urls];
}

// ---- 2. Status codes and saved HTML ----------------------------------------------------------------
async function fetchAll(urls, dir, problems) {
  const files = new Map(); // file name -> url
  for (const [i, url] of urls.entries()) {
    const res = await fetch(BASE + url, { redirect: 'manual' });
    const want = url === NOT_FOUND ? 404 : 200;
    if (res.status !== want) problems.get(url).push(`[status] got HTTP ${res.status}, want ${want}`);
    const name = `${String(i).padStart(2, '0')}.html`;
    writeFileSync(join(dir, name), await res.text());
    files.set(name, url);
  }
  return files;
}

// ---- 3. axe-core in Chromium, and the screenshots --------------------------------------------------
async function runAxe(urls, problems, shots) {
  const browser = await launchBrowser();
  try {
    // A few pages at a time: each page spends most of its time in axe, on one CPU.
    const queue = [...urls];
    const worker = async () => {
      for (let url; (url = queue.shift()) !== undefined;) {
        const context = await browser.newContext(axeContextOptions);
        const page = await context.newPage();
        await page.goto(BASE + url, { waitUntil: 'load' });
        problems.get(url).push(...await axeProblems(page));
        await context.close();
      }
    };
    await Promise.all(Array.from({ length: Number(process.env.AXE_JOBS || 3) }, worker));
    mkdirSync(SHOTS, { recursive: true });
    for (const [name, url] of Object.entries(shots)) {
      for (const [size, width, height] of [['desktop', 1280, 800], ['phone', 390, 844]]) {
        const context = await browser.newContext({ viewport: { width, height } });
        const page = await context.newPage();
        await page.goto(BASE + url, { waitUntil: 'load' });
        await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
}

// ---- Main ----------------------------------------------------------------------------------------
const urls = await collectUrls();
console.log(`checking ${urls.length} URLs on ${BASE}:\n  ${urls.join('\n  ')}`);
const problems = new Map(urls.map((u) => [u, []]));
const dir = mkdtempSync(join(tmpdir(), 'masthead-pages-'));
const started = Date.now();
const lap = (what) => console.log(`${what}: done at ${((Date.now() - started) / 1000).toFixed(1)}s`);
try {
  const files = await fetchAll(urls, dir, problems);
  validateHtml(dir, files, problems);
  lap('Nu HTML Checker');
  const article = urls.find((u) => /^\/\d{4}\/\d{2}\/\d{2}\/[^/]+\/$/.test(u));
  await runAxe(urls, problems, { home: '/', article });
  lap('axe-core and screenshots');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nscreenshots: ${SHOTS}`);
process.exit(report('pages', problems) > 0 ? 1 : 0);
