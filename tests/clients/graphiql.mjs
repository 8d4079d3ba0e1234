// GraphiQL in a real browser (headless Chromium), with every request that would leave the
// machine blocked and counted: the page loads, a user signs in, opens the documentation
// explorer, runs a query and sees its answer. A screenshot is kept.
//
//   GATEWAY_URL=http://127.0.0.1:8000 SCREENSHOT=graphiql.png node graphiql.mjs
import { chromium } from 'playwright-core';

const base = process.env.GATEWAY_URL;
const screenshot = process.env.SCREENSHOT || 'graphiql.png';
const password = process.env.DEMO_PASSWORD || 'demo-password';
if (!base) {
  console.error('graphiql: set GATEWAY_URL');
  process.exit(2);
}
const gateway = new URL(base);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // No name resolves but the gateway's own address: nothing can be fetched from outside.
  args: ['--no-sandbox', `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${gateway.hostname}`],
});
const offMachine = [];
const pageErrors = [];
let step = 'start';
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.host === gateway.host) return route.continue();
    offMachine.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(20_000);

  step = 'loading /graphiql';
  await page.goto(new URL('/graphiql', gateway).href);
  await page.waitForSelector('.graphiql-container');

  step = 'signing in';
  await page.fill('#sign-in input[name=username]', 'leader.66');
  await page.fill('#sign-in input[name=password]', password);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#signed-in:not([hidden])');
  await page.waitForSelector('#sign-in', { state: 'hidden' });
  const who = await page.textContent('#who');
  if (who !== 'leader.66') throw new Error(`signed in as ${who}`);

  step = 'opening the documentation explorer';
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer >> text=QueryRoot');
  await page.click('.graphiql-doc-explorer >> text=QueryRoot');
  await page.waitForSelector('.graphiql-doc-explorer >> text=totals');

  step = 'running a query';
  await page.evaluate(() => {
    const editor = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
    editor.setValue('{\n  adminUnit(code: "66") {\n    name\n  }\n  totals(unitCode: "66") {\n    teams\n  }\n}\n');
  });
  await page.click('.graphiql-execute-button');
  await page.waitForSelector('.result-window >> text=Tỉnh Đắk Lắk');
  const answer = await page.textContent('.result-window');
  if (!/"teams": \d+/.test(answer)) throw new Error(`unexpected answer: ${answer}`);

  step = 'taking the screenshot';
  await page.screenshot({ path: screenshot });

  step = 'reloading: the token is kept for the session';
  await page.reload();
  await page.waitForSelector('#signed-in:not([hidden])');

  step = 'checking what left the machine';
  if (offMachine.length > 0) throw new Error(`requests off the machine: ${offMachine.join(', ')}`);
  if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join('; ')}`);
  console.log(`graphiql: signed in, explored the schema, ran a query; screenshot in ${screenshot}`);
} catch (error) {
  console.error(`graphiql: failed while ${step}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
