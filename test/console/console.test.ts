// Proves that the operator console works as an operator uses it, from the keyboard alone, in a real
// headless Chromium against the real service, PostgreSQL, relay and RabbitMQ: a wrong key shows the
// 401 problem; an account looked up by external_ref after a deposit shows its balance (10.50 USD for
// 1050) and, with a hold, what is available; its statement pages; a transaction shows its entries
// and its event; an event the broker refuses is listed as a dead letter with its last error, and
// replayed from the page it is delivered to a real queue. Every control has a label. Screenshots
// of each step go to test-output/console/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths.js';
import { brokerUrl } from '../support/database.js';
import { newKey, startTestService, TEST_API_KEY, type TestService } from '../support/service.js';
import { QueueCollector, relayEnvironment, settingsFrom, startRelay, waitFor } from '../relay/relayFixture.js';
import type { OutboxRelay } from '../../src/relay/relay.js';
import type { RelaySettings } from '../../src/relay/relay.js';

/** Debian's chromium (.ci/run installs it). The test fails, never skips, without it. */
const CHROMIUM_PATH = '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 30_000;
const DELIVERY_TIMEOUT_MS = 20_000;
const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'test-output', 'console');
const DEPOSITS = 11;
/** More than the page's controls, with every row's buttons: a control not reached by then is unreachable. */
const TAB_PRESSES_MAX = 200;

// Run in the page (this project's TypeScript has no DOM types): the focused control's name, and
// the controls with no label (a <label> for inputs and selects; text or aria-label for buttons).
const FOCUSED_CONTROL_NAME = `(() => {
  const active = document.activeElement;
  if (!active || active === document.body) return '';
  if (active.labels?.length) return active.labels[0].textContent.trim();
  return active.getAttribute('aria-label') ?? active.textContent?.trim() ?? '';
})()`;
const UNLABELLED_CONTROLS = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((control) => !(control.getAttribute('aria-label') || (control.tagName === 'BUTTON' && control.textContent.trim()) || control.labels?.length))
  .map((control) => control.outerHTML)`;

let api: TestService;
let baseUrl: string;
let browser: Browser;
let relay: OutboxRelay;
let settings: RelaySettings;
let collector: QueueCollector;
let refusingQueue: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} is missing: install Debian's chromium (.ci/run does)`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  api = await startTestService();
  baseUrl = await api.service.app.listen({ host: '127.0.0.1', port: 0 });
  // One attempt: the first refusal dead-letters the event.
  settings = settingsFrom(relayEnvironment(api.database, { OUTBOX_MAX_ATTEMPTS: '1', OUTBOX_POLL_INTERVAL_MS: '200' }));
  collector = await QueueCollector.start(brokerUrl(), settings, ['ledger.deposit.posted']);
  // A queue that can never accept a message: the broker nacks every withdrawal routed to it.
  refusingQueue = `${settings.exchange}.refusing`;
  await collector.withChannel(async (channel) => {
    await channel.assertQueue(refusingQueue, { durable: false, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(refusingQueue, settings.exchange, 'ledger.withdrawal.posted');
  });
  relay = await startRelay(settings);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await relay?.stop();
  await collector?.close();
  await api?.close();
});

async function post(url: string, body: unknown): Promise<any> {
  const response = await api.request('POST', url, { body, idempotencyKey: newKey() });
  assert.ok(response.status === 201, `${url}: ${response.status} ${response.raw}`);
  return response.body;
}

/** Tabs to a field, replaces its text by typing and presses Enter, as a keyboard user submits a form. */
async function submit(page: Page, label: string, text: string): Promise<void> {
  await tabTo(page, label);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** Tabs to a control and presses Enter. */
async function tabToAndPress(page: Page, name: string): Promise<void> {
  await tabTo(page, name);
  await page.keyboard.press('Enter');
}

/** Moves the keyboard's focus to the control with this label by pressing Tab, as a keyboard user does. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let presses = 0; presses < TAB_PRESSES_MAX; presses += 1) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate<string>(FOCUSED_CONTROL_NAME)) === name) return;
  }
  assert.fail(`no control named "${name}" is reachable with Tab`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

test('the operator console, from the keyboard alone', { timeout: 180_000 }, async () => {
  const externalRef = `customer-${newKey()}`;
  const wallet = (await post('/v1/accounts', { currency: 'USD', external_ref: externalRef, metadata: { tier: 'gold' } })).id;
  await post('/v1/transactions/deposit', { account_id: wallet, amount: '1050' });
  for (let deposit = 1; deposit < DEPOSITS; deposit += 1) await post('/v1/transactions/deposit', { account_id: wallet, amount: '100' });
  await post('/v1/holds', { source_account_id: wallet, amount: '250' });

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Every request the page makes: the key goes in its header, never in a URL.
  const requests: Array<{ url: string; key: string | undefined }> = [];
  page.on('request', (request) => requests.push({ url: request.url(), key: request.headers()['x-service-api-key'] }));
  await page.goto(`${baseUrl}/console`);

  // Every control has a label: inputs and selects a <label>, buttons their text or aria-label.
  const unlabelled = await page.evaluate<string[]>(UNLABELLED_CONTROLS);
  assert.deepEqual(unlabelled, []);

  // A wrong key: the API's 401 problem, its title and detail.
  await submit(page, 'X-Service-Api-Key', 'not-the-key');
  await submit(page, 'Account id or external_ref', externalRef);
  const problem = page.getByRole('alert');
  await problem.waitFor();
  assert.equal(await page.locator('#problem-title').textContent(), 'Missing or invalid X-Service-Api-Key');
  assert.equal(await page.locator('#problem-detail').textContent(), 'Send a valid X-Service-Api-Key header');
  await shot(page, '1-wrong-key');

  // The right key; the account by external_ref, after its deposits and a hold.
  await submit(page, 'X-Service-Api-Key', TEST_API_KEY);
  await submit(page, 'Account id or external_ref', externalRef);
  await page.locator('#account-title').filter({ hasText: wallet }).waitFor();
  assert.equal(await problem.isHidden(), true);
  const field = (name: string) => page.locator('#account-fields dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await field('Posted balance').textContent(), '20.50 USD');
  assert.equal(await field('Available balance').textContent(), '18.00 USD');
  assert.equal(await field('external_ref').textContent(), externalRef);
  assert.match((await page.locator('#account-metadata').textContent()) ?? '', /"tier": "gold"/);
  await shot(page, '2-account');

  // Its statement, five entries a page, newest first.
  // From 10 a page to 5: the select's previous option, chosen with the arrow key.
  await tabTo(page, 'Entries per page');
  await page.keyboard.press('ArrowUp');
  const sequences = async () => page.locator('#statement tbody tr td:first-child').allTextContents();
  await waitFor('the five newest entries', async () => (await sequences()).join() === '11,10,9,8,7', STEP_TIMEOUT_MS);
  await tabToAndPress(page, 'Older entries');
  await waitFor('the second page', async () => (await sequences()).join() === '6,5,4,3,2', STEP_TIMEOUT_MS);
  await page.keyboard.press('Enter');
  await waitFor('the last page', async () => (await sequences()).join() === '1', STEP_TIMEOUT_MS);
  assert.equal(await page.locator('#statement-older').isDisabled(), true);
  assert.match((await page.locator('#statement tbody tr').first().textContent()) ?? '', /10\.50 USD/);
  await shot(page, '3-statement-last-page');

  // A withdrawal the broker refuses: one attempt, then a dead letter with the broker's nack.
  const withdrawal = await post('/v1/transactions/withdraw', { account_id: wallet, amount: '50' });
  await waitFor('the withdrawal dead-lettered', async () => (await api.database.pool.query('SELECT 1 FROM dead_letter')).rowCount === 1, DELIVERY_TIMEOUT_MS);
  await tabToAndPress(page, 'Refresh relay state');
  const deadRow = page.locator('#dead-letters tbody tr', { hasText: 'withdrawal.posted' });
  await deadRow.waitFor();
  assert.match((await deadRow.textContent()) ?? '', /nack/i);
  const relayField = (name: string) => page.locator('#relay-fields dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await relayField('Dead letters').textContent(), '1');
  await submit(page, 'Transaction id', withdrawal.id);
  await page.locator('#transaction-events tbody tr', { hasText: 'dead letter since' }).waitFor();
  assert.equal(await page.locator('#transaction-entries tbody tr').count(), 2);
  await shot(page, '4-dead-letter');

  // The cause fixed (the refusing queue gone, a consumer bound), the dead letter replayed from the page.
  await collector.withChannel(async (channel) => {
    await channel.deleteQueue(refusingQueue);
    await channel.bindQueue(collector.queue, settings.exchange, 'ledger.withdrawal.posted');
  });
  const { rows } = await api.database.pool.query<{ event_id: string }>('SELECT event_id::text FROM dead_letter');
  const eventId = rows[0]!.event_id;
  await tabToAndPress(page, `Replay dead letter ${eventId}`);
  await page.locator('#notice', { hasText: 'Replayed 1 dead letter' }).waitFor();
  await waitFor('the replayed withdrawal delivered to the queue', () => collector.hasAll([eventId]), DELIVERY_TIMEOUT_MS);
  const delivered = collector.messages.find((message) => message.properties.messageId === eventId)!;
  assert.equal(JSON.parse(delivered.content.toString('utf8')).subject, withdrawal.id);
  await page.locator('#dead-letters tbody tr', { hasText: 'No dead letters.' }).waitFor();
  await waitFor('the event marked published', async () => (await api.database.pool.query(
    'SELECT 1 FROM outbox WHERE event_id = $1 AND published_at IS NOT NULL', [eventId])).rowCount === 1, DELIVERY_TIMEOUT_MS);
  await submit(page, 'Transaction id', withdrawal.id);
  await page.locator('#transaction-events tbody tr', { hasText: 'published' }).waitFor();
  await shot(page, '5-replayed-and-delivered');

  const apiCalls = requests.filter((request) => new URL(request.url).pathname.startsWith('/v1/'));
  assert.ok(apiCalls.length > 10);
  assert.ok(apiCalls.every((request) => request.key === TEST_API_KEY || request.key === 'not-the-key'));
  assert.deepEqual(requests.filter((request) => request.url.includes('key')), []);
  assert.equal(await page.evaluate('sessionStorage.length'), 1, 'the key is kept in the tab\'s session storage');
});
