// Proves that Swagger UI at /docs works as a person uses it: in a real headless Chromium against
// the real service on real PostgreSQL, Authorize with the API key, expand the deposit operation,
// "Try it out" with a body and an Idempotency-Key, Execute, and the page shows 201 — and the
// deposit is in the ledger.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { fundedAccount, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';

/** Debian's chromium; .ci/run installs it. The test fails, never skips, without it. */
const CHROMIUM_PATH = '/usr/bin/chromium';
/** Each step of the page waits at most this long: a busy CI machine renders slowly. */
const STEP_TIMEOUT_MS = 30_000;

let api: TestService;
let baseUrl: string;
let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} is missing: install Debian's chromium (.ci/run does)`);
  api = await startTestService();
  baseUrl = await api.service.app.listen({ host: '127.0.0.1', port: 0 });
  // Root in CI has no user namespaces for Chromium's sandbox.
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await api?.close();
});

test('Swagger UI: Authorize, Try it out on a deposit, Execute shows 201', async () => {
  const wallet = await fundedAccount(api, 'USD', 0n);
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.goto(`${baseUrl}/docs`);

  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux');
  await dialog.locator('input').fill(TEST_API_KEY);
  await dialog.locator('button[type="submit"]').click();
  await dialog.locator('button.btn-done').click();

  const deposit = page.locator('#operations-transactions-post_v1_transactions_deposit');
  await deposit.locator('.opblock-summary').first().click();
  await deposit.locator('button.try-out__btn').click();
  await deposit.locator('tr[data-param-name="Idempotency-Key"] input').fill('swagger-ui-deposit-1');
  await deposit.locator('textarea.body-param__text').fill(JSON.stringify({ account_id: wallet, amount: '1050', currency: 'USD' }));
  await deposit.locator('button.execute').click();

  const status = deposit.locator('.live-responses-table tr.response .response-col_status');
  await status.waitFor();
  // SWAGGER_UI_SCREENSHOT=answer.png keeps a picture of the answer the page shows.
  if (process.env.SWAGGER_UI_SCREENSHOT) await deposit.locator('.live-responses-table').screenshot({ path: process.env.SWAGGER_UI_SCREENSHOT });
  assert.equal(((await status.textContent()) ?? '').trim(), '201');
  const account = await api.request('GET', `/v1/accounts/${wallet}`);
  assert.equal(account.body.balance, '1050');
});
