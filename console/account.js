import { ApiProblem, callApi, encoded } from './api.js';
import { formatMoney } from './money.js';
import { button, byId, fillFields, fillRows, when } from './view.js';

// An account, looked up by id or external_ref, and its statement a page at a time (newest first,
// following the cursor GET /v1/accounts/{id}/entries returns).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account shown, and the cursors of the statement pages seen: [undefined] is the newest page. */
let shown;
let pageCursors = [undefined];
let nextCursor = null;

/** By id when the text is one (an external_ref may look like an id too: then it is tried second). */
export async function lookUpAccount(query, openTransaction) {
  const text = query.trim();
  let account;
  try {
    account = UUID.test(text) ? await callApi('GET', `/v1/accounts/${encoded(text)}`) : undefined;
  } catch (error) {
    if (!(error instanceof ApiProblem && error.status === 404)) throw error;
  }
  account ??= await callApi('GET', `/v1/admin/accounts?external_ref=${encoded(text)}`);
  shown = { account, openTransaction };
  pageCursors = [undefined];
  showAccount(account);
  await showStatementPage();
  byId('account').hidden = false;
  byId('account-title').focus();
}

function showAccount(account) {
  const money = (amount) => formatMoney(amount, account.currency);
  const holdsExist = account.pending_debits !== '0' || account.pending_credits !== '0';
  byId('account-title').textContent = `Account ${account.id}`;
  fillFields(byId('account-fields'), [
    ['Id', account.id],
    ['external_ref', account.external_ref ?? '(none)'],
    ['Kind', account.kind],
    ['Status', account.status],
    ['Currency', account.currency],
    ['Posted balance', money(account.balance)],
    ...(holdsExist
      ? [
          ['Pending debits (held)', money(account.pending_debits)],
          ['Pending credits', money(account.pending_credits)],
          ['Available balance', money(account.available_balance)],
        ]
      : []),
    ['Version', account.version],
    ['Opened', when(account.created_at)],
    ['Updated', when(account.updated_at)],
  ]);
  byId('account-metadata').textContent = JSON.stringify(account.metadata, null, 2);
}

async function showStatementPage() {
  const { account, openTransaction } = shown;
  const limit = byId('page-size').value;
  const cursor = pageCursors.at(-1);
  const query = `limit=${encoded(limit)}${cursor ? `&cursor=${encoded(cursor)}` : ''}`;
  const page = await callApi('GET', `/v1/accounts/${encoded(account.id)}/entries?${query}`);
  nextCursor = page.next_cursor;
  const money = (amount) => ({ text: formatMoney(amount, account.currency), className: 'money' });
  fillRows(
    byId('statement').tBodies[0],
    page.data.map((entry) => [
      entry.sequence,
      when(entry.created_at),
      entry.direction,
      money(entry.amount),
      money(entry.balance_after),
      button(entry.transaction_id, `Show transaction ${entry.transaction_id}`, () => openTransaction(entry.transaction_id)),
    ]),
    'No entries yet.',
  );
  byId('statement-newer').disabled = pageCursors.length === 1;
  byId('statement-older').disabled = nextCursor === null;
  byId('statement-page').textContent = `Page ${pageCursors.length}`;
  // A control that just went disabled drops the keyboard's focus: keep it in the statement.
  if (document.activeElement?.disabled) byId('statement-heading').focus();
}

export async function olderEntries() {
  if (!shown || nextCursor === null) return;
  pageCursors.push(nextCursor);
  await showStatementPage();
}

export async function newerEntries() {
  if (!shown || pageCursors.length === 1) return;
  pageCursors.pop();
  await showStatementPage();
}

export async function firstStatementPage() {
  if (!shown) return;
  pageCursors = [undefined];
  await showStatementPage();
}
