// The local stage's pages in a real headless Chromium, driven by playwright-core.
//
// The API docs: the page loads, lists every route of routes.json with the local token already
// filled in, and its "Try it out" creates an item (201) and lists items (200) against the
// stage. Saves two screenshots: PREFIX.png (the page with its operations) and PREFIX-try-it.png
// (GET /items tried).
//
// The traces page: a PUT /items/{id} sent in a trace of the check's choosing
// (X-Amzn-Trace-Id: Root=...;Sampled=1) yields that trace, with the handler's segment naming
// the route and, on DynamoDB (STORE=dynamodb), exactly one UpdateItem call under it (on the
// memory store, the handler alone); the page draws its waterfall with each part's duration
// (screenshot TRACES_SCREENSHOT). A request sent with Sampled=0 yields no trace.
//
// Usage: node docs_page_check.js DOCS_URL CHROMIUM_PATH SCREENSHOT_PREFIX TRACES_URL STORE TRACES_SCREENSHOT
// (scripts/check-docs-page runs it with playwright-core on NODE_PATH.)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

// The API's routes, as the route declaration generates them into routes.json.
const ROUTES = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'routes.json'), 'utf8')).routes;
const OPERATIONS = ROUTES.map((route) => route.route_key);
// The route whose trace the traces page draws, and the DynamoDB calls its use case makes.
const TRACED_ROUTE = ROUTES.find((route) => route.route_key === 'PUT /items/{id}');
const TRACED_CALLS = Object.values(TRACED_ROUTE.dynamodb)
  .flat()
  .map((action) => action.replace('dynamodb:', ''));
// Without the background-networking flags Chromium keeps dialling out, which a closed network
// refuses; --no-sandbox because CI runs as root.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TIMEOUT_MS = 120_000;

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

// Expands an operation, presses "Try it out" and "Execute", and returns the API's response
// as the browser received it.
async function tryOperation(page, operationId, method) {
  const operation = page.locator(`#operations-items-${operationId}`);
  await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/items' && r.request().method() === method,
      { timeout: TIMEOUT_MS },
    ),
    operation.getByRole('button', { name: 'Execute' }).click(),
  ]);
  // The page shows the live response with its status.
  await operation
    .locator('.live-responses-table tbody .response-col_status')
    .first()
    .waitFor({ timeout: TIMEOUT_MS });
  const shown = (await operation.locator('.live-responses-table tbody .response-col_status').first().innerText()).trim();
  return { operation, response, shown };
}

// A new X-Ray trace id: 1-<epoch seconds, 8 hex digits>-<96 random bits>.
function newTraceId() {
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `1-${seconds}-${crypto.randomBytes(12).toString('hex')}`;
}

// Every part of a trace's tree, parents before children.
function parts(nodes) {
  return nodes.flatMap((node) => [node, ...parts(node.children)]);
}

async function call(url, options = {}) {
  const response = await fetch(url, options);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

// Sends a PUT in a sampled trace of the check's choosing and waits until the stage's daemon
// holds its handler segment (and on DynamoDB the calls under it; function processes send
// their segments over UDP after answering). Returns the trace id and the trace.
async function tracedPut(origin, store) {
  const token = (await call(`${origin}/_local/token`, { method: 'POST', body: JSON.stringify({ sub: 'alice' }) })).body.token;
  const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const item = { name: 'Traced lamp', description: 'for the waterfall', category: 'home' };
  const created = await call(`${origin}/items`, { method: 'POST', headers: json, body: JSON.stringify(item) });
  expect(created.status === 201, `POST /items answered ${created.status}`);

  const unsampled = newTraceId();
  const notRecorded = await call(`${origin}/items/${created.body.id}`, {
    headers: { authorization: json.authorization, 'x-amzn-trace-id': `Root=${unsampled};Sampled=0` },
  });
  expect(notRecorded.status === 200, `GET /items/{id} answered ${notRecorded.status}`);

  const traceId = newTraceId();
  const put = await call(`${origin}/items/${created.body.id}`, {
    method: 'PUT',
    headers: { ...json, 'x-amzn-trace-id': `Root=${traceId};Sampled=1` },
    body: JSON.stringify({ ...item, description: 'replaced, traced' }),
  });
  expect(put.status === 200, `PUT /items/{id} answered ${put.status}`);

  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await call(`${origin}/_local/traces/${traceId}`);
    if (answer.status === 200) {
      const handler = parts(answer.body.segments).find((part) => part.annotations.route === TRACED_ROUTE.route_key);
      const calls = handler ? parts(handler.children).filter((part) => part.aws && part.aws.operation) : [];
      if (handler && (store === 'memory' || calls.length >= TRACED_CALLS.length)) {
        // The unsampled request's trace would have arrived by now too.
        const absent = await call(`${origin}/_local/traces/${unsampled}`);
        expect(absent.status === 404, `the unsampled request left a trace (${absent.status})`);
        return { traceId, trace: answer.body, handler, calls };
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`trace ${traceId} of the PUT lacks its handler segment or its DynamoDB calls: ${JSON.stringify(answer.body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function checkTracesPage(browser, tracesUrl, store, screenshot) {
  const origin = new URL(tracesUrl).origin;
  const { traceId, trace, handler, calls } = await tracedPut(origin, store);
  expect(!trace.http || !trace.http.method || trace.http.method === 'PUT', `the trace's request is ${JSON.stringify(trace.http)}`);
  expect(handler.annotations.status === 200, `the handler segment's status annotation is ${handler.annotations.status}`);
  expect(!trace.fault, 'the PUT\'s trace is marked as a fault');
  const operations = calls.map((part) => part.aws.operation);
  if (store === 'memory') {
    expect(handler.children.length === 0, `on the memory store the handler has no calls under it, not ${JSON.stringify(operations)}`);
  } else {
    expect(JSON.stringify(operations) === JSON.stringify(TRACED_CALLS), `the handler made ${JSON.stringify(operations)}, not ${JSON.stringify(TRACED_CALLS)}`);
  }
  console.log(`ok      a PUT /items/{id} in trace ${traceId}: handler segment for the route${store === 'memory' ? ' (alone, memory store)' : `, ${operations.join(', ')} under it`}; a Sampled=0 request left no trace`);

  const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(TIMEOUT_MS);
  const loaded = await page.goto(`${tracesUrl}#${traceId}`, { timeout: TIMEOUT_MS });
  expect(loaded && loaded.status() === 200, `GET ${tracesUrl} answered ${loaded && loaded.status()}`);
  await page.locator(`#waterfall[data-trace-id="${traceId}"]`).waitFor({ timeout: TIMEOUT_MS });
  await page.locator(`tr.trace-row.selected[data-trace-id="${traceId}"]`).waitFor({ timeout: TIMEOUT_MS });
  const rows = await page.$$eval('#waterfall .span-row', (found) =>
    found.map((row) => ({
      name: row.dataset.name,
      route: row.dataset.route || null,
      operation: row.dataset.operation || null,
      duration: row.querySelector('.duration').textContent,
      barWidth: row.querySelector('.bar').getBoundingClientRect().width,
    })),
  );
  const handlerRow = rows.find((row) => row.route === TRACED_ROUTE.route_key);
  expect(handlerRow, `the waterfall has no row for the handler: ${JSON.stringify(rows)}`);
  const drawnCalls = rows.filter((row) => row.operation).map((row) => row.operation);
  expect(JSON.stringify(drawnCalls) === JSON.stringify(operations), `the waterfall draws the calls ${JSON.stringify(drawnCalls)}, not ${JSON.stringify(operations)}`);
  for (const row of rows) {
    expect(/^\d+\.\d ms$/.test(row.duration), `row ${row.name} shows the duration "${row.duration}"`);
    expect(row.barWidth > 0, `row ${row.name} has no bar`);
  }
  await page.screenshot({ path: screenshot });
  console.log(`ok      the traces page draws the waterfall: ${rows.map((row) => `${row.operation || row.name} ${row.duration}`).join(', ')}`);
  console.log(`ok      screenshot: ${screenshot} (the PUT's waterfall)`);
  expect(pageErrors.length === 0, `the traces page raised errors: ${pageErrors.join('; ')}`);
  await page.close();
}

async function main() {
  const [docsUrl, executablePath, screenshotPrefix, tracesUrl, store, tracesScreenshot] = process.argv.slice(2);
  expect(
    docsUrl && executablePath && screenshotPrefix && tracesUrl && ['memory', 'dynamodb'].includes(store) && tracesScreenshot,
    'usage: docs_page_check.js DOCS_URL CHROMIUM SCREENSHOT_PREFIX TRACES_URL memory|dynamodb TRACES_SCREENSHOT',
  );
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
  const pageErrors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const loaded = await page.goto(docsUrl, { timeout: TIMEOUT_MS });
    expect(loaded && loaded.status() === 200, `GET ${docsUrl} answered ${loaded && loaded.status()}`);
    await page.locator('.opblock').first().waitFor({ timeout: TIMEOUT_MS });
    const listed = await page.$$eval('.opblock', (blocks) =>
      blocks.map((block) => {
        const method = block.querySelector('.opblock-summary-method').textContent.trim();
        const path = block.querySelector('.opblock-summary-path').getAttribute('data-path');
        return `${method} ${path}`;
      }),
    );
    expect(
      JSON.stringify([...listed].sort()) === JSON.stringify([...OPERATIONS].sort()),
      `the page lists ${JSON.stringify(listed)}, not the routes ${JSON.stringify(OPERATIONS)}`,
    );
    console.log(`ok      the page lists every route: ${listed.join(', ')}`);

    // The local issuer's token is filled in: the Authorize button shows a closed lock.
    await page.locator('.auth-wrapper .authorize.locked').waitFor({ timeout: TIMEOUT_MS });
    console.log('ok      the bearer token is filled in (Authorize shows it as set)');
    await page.screenshot({ path: `${screenshotPrefix}.png`, fullPage: true });

    const created = await tryOperation(page, 'createItem', 'POST');
    expect(created.response.status() === 201, `Try it out POST /items answered ${created.response.status()}`);
    const authorization = created.response.request().headers()['authorization'] || '';
    expect(authorization.startsWith('Bearer ey'), 'the request carried no bearer token');
    expect(created.shown === '201', `the page shows status ${created.shown} for POST /items`);
    console.log('ok      Try it out: POST /items with the example body -> 201, sent with the token');
    await created.operation.locator('.opblock-summary').first().click();

    const listedItems = await tryOperation(page, 'listItems', 'GET');
    expect(listedItems.response.status() === 200, `Try it out GET /items answered ${listedItems.response.status()}`);
    expect(listedItems.shown === '200', `the page shows status ${listedItems.shown} for GET /items`);
    const page1 = await listedItems.response.json();
    expect(page1.items.length >= 1, 'GET /items lists the item just created');
    console.log(`ok      Try it out: GET /items -> 200 with ${page1.items.length} item(s), shown on the page`);

    // The live answer, as a person trying the route sees it.
    await listedItems.operation.locator('.live-responses-table').first().evaluate((table) =>
      table.scrollIntoView({ block: 'center' }),
    );
    await page.screenshot({ path: `${screenshotPrefix}-try-it.png` });
    console.log(`ok      screenshots: ${screenshotPrefix}.png (the page), ${screenshotPrefix}-try-it.png (GET /items tried)`);
    expect(pageErrors.length === 0, `the page raised errors: ${pageErrors.join('; ')}`);

    await checkTracesPage(browser, tracesUrl, store, tracesScreenshot);
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log('docs and traces pages: 1 passed, 0 failed'),
  (error) => {
    console.error(`FAILED  ${error.message}`);
    console.log('docs and traces pages: 0 passed, 1 failed');
    process.exit(1);
  },
);
