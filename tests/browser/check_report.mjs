// Opens whydenied's HTML report in headless Chromium and uses it as a person would.
//
//   node check_report.mjs <report.html> <screenshot.png> <expected-rows> [--new=N] [--noise=N] [--dark] [--phone]
//
// Fails (exit 1, with the reasons on stderr) on any console error or page error, on any
// request other than the report file itself, or when the table, sorting, filtering, the
// drill-down, the chart clicks that filter the table or the timeline's scale do not work; with
// --new=N, when the "only new" box does not leave N rows; with --noise=N, when the table does
// not mark N noise rows or "hide noise" does not leave the others. Saves a screenshot either
// way. Run by tests/local/html_report.rs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [htmlArg, screenshotArg, expectedArg, ...flags] = process.argv.slice(2);
if (!htmlArg || !screenshotArg || !expectedArg) {
  console.error('usage: node check_report.mjs <report.html> <screenshot.png> <expected-rows> [--new=N] [--noise=N] [--dark] [--phone]');
  process.exit(2);
}
const reportUrl = pathToFileURL(resolve(htmlArg)).href;
const expectedRows = Number(expectedArg);
const phone = flags.includes('--phone');
const newFlag = flags.find((f) => f.startsWith('--new='));
const expectedNew = newFlag === undefined ? null : Number(newFlag.slice('--new='.length));
const noiseFlag = flags.find((f) => f.startsWith('--noise='));
const expectedNoise = noiseFlag === undefined ? null : Number(noiseFlag.slice('--noise='.length));

const failures = [];
function check(condition, message) {
  if (!condition) {
    failures.push(message);
  }
  return condition;
}

// Each group of the summary is a <tbody>: its row (tr.group) and its drill-down (tr.drill).
const ROWS = '#summary > tbody > tr.group';
const VISIBLE_ROWS = '#summary > tbody:not([hidden]) > tr.group';

const userDataDir = mkdtempSync(join(tmpdir(), 'whydenied-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  isMobile: phone,
  hasTouch: phone,
  colorScheme: flags.includes('--dark') ? 'dark' : 'light',
});

const requests = [];
context.on('request', (request) => requests.push(request.url()));
const page = context.pages()[0] ?? (await context.newPage());
page.on('console', (message) => {
  if (message.type() === 'error') {
    failures.push(`console error: ${message.text()}`);
  } else if (message.type() === 'warning') {
    console.log(`console warning (not a failure): ${message.text()}`);
  }
});
page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));

try {
  await page.goto(reportUrl, { waitUntil: 'load' });

  const rowCount = () => page.locator(VISIBLE_ROWS).count();
  const total = await rowCount();
  check(total === expectedRows, `the table has ${total} rows, expected ${expectedRows}`);
  check(
    (await page.locator('#shown').textContent()).includes(new Intl.NumberFormat('en-US').format(expectedRows)),
    'the row counter shows the number of rows',
  );

  // Sorting: the table starts largest first; Count flips it to ascending, then back.
  const counts = () => page.$$eval(ROWS, (rows) => rows.map((row) => Number(row.cells[0].dataset.sort)));
  const countHeader = page.locator('#summary thead th').first();
  let before = await counts();
  check(before[0] >= before[1], `initially descending: first two counts ${before[0]}, ${before[1]}`);
  await countHeader.locator('button').click();
  let after = await counts();
  check(
    (await countHeader.getAttribute('aria-sort')) === 'ascending',
    'Count header says ascending after one click',
  );
  check(
    after[0] <= after[1] && after[0] === Math.min(...after),
    `ascending after one click: first two counts ${after[0]}, ${after[1]}`,
  );
  check(after.length === before.length, 'sorting keeps every row');
  await countHeader.locator('button').click();
  after = await counts();
  check(
    after[0] >= after[1] && after[0] === Math.max(...after),
    `descending after two clicks: first two counts ${after[0]}, ${after[1]}`,
  );

  // Sorting text: Principal, A to Z.
  await page.locator('#summary thead th').nth(1).locator('button').click();
  const principals = await page.$$eval(ROWS, (rows) => rows.map((row) => row.cells[1].textContent.trim()));
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  check(
    principals.every((p, i) => i === 0 || collator.compare(principals[i - 1], p) <= 0),
    'Principal sorts A to Z',
  );

  // Filtering: by the action of the last row, which must match some rows but not all.
  const term = (await page.locator(ROWS).last().locator('td').nth(2).textContent()).trim();
  await page.locator('#filter').fill(term);
  const filtered = await rowCount();
  check(filtered > 0 && filtered < total, `filtering by "${term}" leaves ${filtered} of ${total} rows`);
  const unmatched = await page.$$eval(
    '#summary > tbody:not([hidden])',
    (groups, t) => groups.filter((g) => !g.textContent.toLowerCase().includes(t.toLowerCase())).length,
    term,
  );
  check(unmatched === 0, `${unmatched} groups shown that do not contain "${term}"`);
  check(
    (await page.locator('#shown').textContent()).includes(`${filtered} of`),
    'the row counter follows the filter',
  );
  await page.locator('#filter').fill('no-such-principal-anywhere');
  check((await rowCount()) === 0, 'a filter that matches nothing hides every row');
  await page.locator('#filter').fill('');
  check((await rowCount()) === total, 'clearing the filter shows every row again');

  // "Only new": the box leaves the rows marked new, and unchecking it brings the rest back.
  const onlyNew = page.locator('#only-new');
  if (expectedNew === null) {
    check((await onlyNew.count()) === 0, 'no "only new" box when nothing is known to be new');
  } else {
    await onlyNew.check();
    const newRows = await rowCount();
    check(newRows === expectedNew, `"only new" leaves ${newRows} rows, expected ${expectedNew}`);
    const unmarked = await page.locator('#summary > tbody:not([hidden]) > tr.group:not(.new)').count();
    check(unmarked === 0, `${unmarked} rows shown under "only new" are not marked new`);
    check(
      (await page.locator('.headline .new .value').textContent()).trim() === new Intl.NumberFormat('en-US').format(expectedNew),
      'the headline counts the new groups',
    );
    await onlyNew.uncheck();
    check((await rowCount()) === total, 'unchecking "only new" shows every row again');
  }

  // "Hide noise": the box leaves the rows not marked noise.
  const hideNoise = page.locator('#hide-noise');
  if (expectedNoise !== null) {
    const marked = await page.locator(`${ROWS}.noise`).count();
    check(marked === expectedNoise, `${marked} rows marked noise, expected ${expectedNoise}`);
    check(
      (await page.locator(`${ROWS}.noise .noise-badge`).count()) === expectedNoise,
      'every noise row has its badge',
    );
    if (expectedNoise > 0) {
      await hideNoise.check();
      check((await rowCount()) === total - expectedNoise, `"hide noise" leaves ${await rowCount()} rows, expected ${total - expectedNoise}`);
      check((await page.locator(`${VISIBLE_ROWS}.noise`).count()) === 0, 'no noise row shown under "hide noise"');
      await hideNoise.uncheck();
      check((await rowCount()) === total, 'unchecking "hide noise" shows every row again');
    } else {
      check((await hideNoise.count()) === 0, 'no "hide noise" box without noise rows');
    }
  }

  // Chart clicks filter the table by exact values, shown as a removable filter.
  const visibleRowData = (name) => page.$$eval(VISIBLE_ROWS, (rows, n) => rows.map((row) => row.dataset[n] ?? ''), name);
  for (const [facet, dataName, matches] of [
    ['principal', 'principal', (cell, value) => cell === value],
    ['bucket', 'bucket', (cell, value) => cell === value],
    ['account', 'accounts', (cell, value) => cell.split(' ').includes(value)],
    ['action', 'action', (cell, value) => cell === value],
  ]) {
    const bar = page.locator(`.bars button.bar[data-facet="${facet}"]`).first();
    if (!check((await bar.count()) === 1, `a top-${facet} chart with bars`)) {
      continue;
    }
    const value = await bar.getAttribute('data-value');
    await bar.click();
    const cells = await visibleRowData(dataName);
    check(cells.length > 0 && cells.length < total, `clicking the top ${facet} ${value} leaves ${cells.length} of ${total} rows`);
    check(cells.every((cell) => matches(cell, value)), `every row left by the ${facet} bar has ${facet} ${value}`);
    check((await bar.getAttribute('aria-pressed')) === 'true', `the ${facet} bar shows it is pressed`);
    const chip = page.locator(`#facets button[data-facet="${facet}"]`);
    check((await chip.count()) === 1 && (await chip.textContent()).includes(value), `the ${facet} filter is shown`);
    await chip.click();
    check((await rowCount()) === total, `dropping the ${facet} filter shows every row again`);
    check((await page.locator('#facets button').count()) === 0, 'no filter left');
  }
  // Two bars of different charts: both filters hold; a second click on a bar drops its filter.
  const principalBar = page.locator('.bars button.bar[data-facet="principal"]').first();
  const actionBar = page.locator('.bars button.bar[data-facet="action"]').first();
  await principalBar.click();
  await actionBar.click();
  const [p, a] = [await principalBar.getAttribute('data-value'), await actionBar.getAttribute('data-value')];
  const both = await page.$$eval(VISIBLE_ROWS, (rows) => rows.map((row) => [row.dataset.principal, row.dataset.action]));
  check(both.every(([rp, ra]) => rp === p && ra === a), 'two chart filters both hold');
  await principalBar.click();
  await actionBar.click();
  check((await rowCount()) === total, 'clicking a pressed bar again drops its filter');

  // A timeline segment: the rows denied by its policy and active in its time bin.
  const segment = page.locator('svg.timeline.linear rect[data-series]').first();
  const [series, from, to] = [
    await segment.getAttribute('data-series'),
    Number(await segment.getAttribute('data-from')),
    Number(await segment.getAttribute('data-to')),
  ];
  await segment.dispatchEvent('click');
  const inBin = await page.$$eval(VISIBLE_ROWS, (rows) => rows.map((row) => [row.dataset.deniedBy, Number(row.dataset.first), Number(row.dataset.last)]));
  check(inBin.length > 0, `the timeline segment ${series} ${from}-${to} leaves some rows`);
  check(
    inBin.every(([by, first, last]) => by.split(' ').includes(series) && first < to && last >= from),
    'every row left by a timeline segment has its policy and was active in its time',
  );
  check((await page.locator('#facets button').count()) === 2, 'the segment sets two filters: policy and time');
  await segment.dispatchEvent('click');
  check((await rowCount()) === total, 'clicking the segment again drops both');

  // The legend filters by policy; it says "not stated", never "unknown".
  const legendNames = await page.$$eval('.legend button.series', (buttons) => buttons.map((b) => b.dataset.label));
  check(legendNames.length > 0 && !legendNames.includes('unknown'), `legend: ${legendNames.join(', ')}`);
  const tableReasons = await page.$$eval(`${ROWS} td[data-column="denied_by deny_kind"]`, (cells) => cells.map((c) => c.textContent.trim()));
  check(!tableReasons.includes('unknown'), 'the table never says "unknown" for a policy');
  await page.locator('.legend button.series').first().click();
  const byLegend = await visibleRowData('deniedBy');
  const legendValue = await page.locator('.legend button.series').first().getAttribute('data-value');
  check(byLegend.length > 0 && byLegend.every((by) => by.split(' ').includes(legendValue)), 'the legend filters by its policy');
  await page.locator(`#facets button[data-facet="denied_by"]`).click();
  check((await rowCount()) === total, 'dropping the legend filter shows every row again');

  // The timeline's scale: both drawn, the box shows one.
  const linear = page.locator('svg.timeline.linear');
  const log = page.locator('svg.timeline.log');
  const logBox = page.locator('#log-scale');
  const startsLog = await logBox.isChecked();
  check((await linear.isVisible()) === !startsLog && (await log.isVisible()) === startsLog, 'one scale is shown');
  await logBox.setChecked(!startsLog);
  check((await log.isVisible()) === !startsLog && (await linear.isVisible()) === startsLog, 'the box switches the scale');
  await logBox.setChecked(startsLog);

  // Drill-down: back to largest first, open the first row's events.
  await countHeader.locator('button').click();
  if ((await countHeader.getAttribute('aria-sort')) !== 'descending') {
    await countHeader.locator('button').click();
  }
  const details = page.locator('#summary > tbody').first().locator('tr.drill details');
  await details.locator('summary').click();
  check(await details.evaluate((d) => d.open), 'the drill-down opens');
  const events = details.locator('table.samples > tbody > tr');
  const samples = await events.count();
  check(samples >= 1 && samples <= 5, `the drill-down lists ${samples} events (1 to 5 expected)`);
  check(await events.first().isVisible(), 'the first event is visible');
  const sampleHeaders = await details.locator('table.samples th').allTextContents();
  for (const wanted of ['Account', 'Session', 'Resource']) {
    check(sampleHeaders.includes(wanted), `the drill-down has a ${wanted} column: ${sampleHeaders.join(', ')}`);
  }
  const facts = await details.locator('.facts').textContent();
  check(facts.includes('session names'), 'the drill-down lists the session names');

  // The charts are there.
  check((await page.locator('svg.timeline rect').count()) > 0, 'the timeline has bars');
  check((await page.locator('.bars li').count()) > 0, 'the top charts have bars');

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotArg, fullPage: false });
} catch (error) {
  failures.push(`the check itself failed: ${error.stack ?? error}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const foreign = requests.filter((url) => url !== reportUrl);
check(foreign.length === 0, `requests other than the report: ${foreign.join(', ')}`);

if (failures.length > 0) {
  console.error(`check_report.mjs: ${failures.length} failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`check_report.mjs: ${expectedRows} rows, sorting, filtering, chart clicks, noise, scales, drill-down and no requests: all good`);
