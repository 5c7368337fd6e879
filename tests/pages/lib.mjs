// What the page suites share: Chromium started the way this machine needs, axe-core's WCAG 2.x
// A/AA rules run inside a page, and the Nu HTML Checker (one JVM for many files).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/// Headless Debian Chromium. The machine has no outside network, so everything that would
/// phone home is off.
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// The site's CSP is `script-src 'self'`: contexts that run axe must bypass it to inject it.
export const axeContextOptions = { bypassCSP: true, viewport: { width: 1280, height: 800 } };

/// Runs axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now; returns one line per
/// violation (empty when the page passes).
export async function axeProblems(page) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const problems = [];
  if (result.passes.length === 0) problems.push('[axe] no rule passed: did axe run at all?');
  for (const v of result.violations) {
    const targets = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ');
    const markup = v.nodes[0]?.html.replace(/\s+/g, ' ').slice(0, 200);
    problems.push(`[axe ${v.id}, ${v.impact}] ${v.help} (${v.nodes.length} nodes): ${targets}\n      markup: ${markup}`);
  }
  return problems;
}

/// Validates the HTML files `files` (file name in `dir` -> label) with the Nu HTML Checker, one
/// JVM for all of them, and adds each error to `problems` (label -> list).
export function validateHtml(dir, files, problems) {
  const jar = String(require('vnu-jar'));
  const paths = [...files.keys()].map((f) => join(dir, f));
  const run = spawnSync('java', ['-jar', jar, '--errors-only', '--format', 'json', ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let report;
  try { report = JSON.parse(run.stderr || run.stdout); } catch {
    throw new Error(`vnu.jar gave no JSON report (exit ${run.status}): ${run.stderr || run.stdout || run.error}`);
  }
  for (const m of report.messages) {
    const label = files.get(basename(m.url || ''));
    const where = label ?? m.url ?? '(vnu)';
    if (!problems.has(where)) problems.set(where, []);
    problems.get(where).push(`[vnu ${m.type}] line ${m.lastLine ?? '?'}: ${m.message}${m.extract ? `\n      markup: ${m.extract.trim().replace(/\s+/g, ' ')}` : ''}`);
  }
}

/// Prints the problems per label and the "N passed, M failed" line; returns the failure count.
export function report(name, problems) {
  let passed = 0;
  let failed = 0;
  for (const [label, list] of problems) {
    if (list.length === 0) { passed++; continue; }
    failed++;
    console.log(`\nFAIL ${label}`);
    list.forEach((p) => console.log(`  ${p}`));
  }
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  return failed;
}
