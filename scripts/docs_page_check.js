// The local stage's API docs page in a real headless Chromium, driven by playwright-core:
// the page loads, lists every route of routes.json with the local token already filled in, and its
// "Try it out" creates an item (201) and lists items (200) against the stage. Saves two
// screenshots: PREFIX.png (the page with its operations) and PREFIX-try-it.png (GET /items tried).
//
// Usage: node docs_page_check.js DOCS_URL CHROMIUM_PATH SCREENSHOT_PREFIX
// (scripts/check-docs-page runs it with playwright-core on NODE_PATH.)
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

// The API's routes, as the route declaration generates them into routes.json.
const OPERATIONS = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'routes.json'), 'utf8'),
).routes.map((route) => route.route_key);
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

async function main() {
  const [docsUrl, executablePath, screenshotPrefix] = process.argv.slice(2);
  expect(docsUrl && executablePath && screenshotPrefix, 'usage: docs_page_check.js DOCS_URL CHROMIUM SCREENSHOT_PREFIX');
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
  } finally {
    await browser.close();
  }
}

main().then(
  () => console.log('docs page: 1 passed, 0 failed'),
  (error) => {
    console.error(`FAILED  ${error.message}`);
    console.log('docs page: 0 passed, 1 failed');
    process.exit(1);
  },
);
