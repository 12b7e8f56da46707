import { callApi, encoded } from './api.js';
import { formatMoney } from './money.js';
import { byId, fillFields, fillRows, when } from './view.js';

// A ledger transaction with its entries (GET /v1/transactions/{id}) and its event: the outbox or
// dead-letter row that carries it, with the message the relay publishes (GET /v1/admin/...).

export async function lookUpTransaction(id) {
  const path = encoded(id.trim());
  const [transaction, events] = await Promise.all([
    callApi('GET', `/v1/transactions/${path}`),
    callApi('GET', `/v1/admin/transactions/${path}/events`),
  ]);
  const money = (amount) => formatMoney(amount, transaction.currency);
  byId('transaction-query').value = transaction.id;
  byId('transaction-title').textContent = `Transaction ${transaction.id}`;
  fillFields(byId('transaction-fields'), [
    ['Id', transaction.id],
    ['Type', transaction.type],
    ['Status', transaction.status],
    ['Amount', money(transaction.amount)],
    ['Reversed so far', money(transaction.reversed_amount)],
    ['From', transaction.source_account_id],
    ['To', transaction.destination_account_id],
    ['Description', transaction.description ?? '(none)'],
    ['Metadata', JSON.stringify(transaction.metadata)],
    ['Posted', when(transaction.created_at)],
  ]);
  const cell = (amount) => ({ text: money(amount), className: 'money' });
  fillRows(
    byId('transaction-entries').tBodies[0],
    transaction.entries.map((entry) => [entry.account_id, entry.direction, cell(entry.amount), cell(entry.balance_after)]),
    'No entries.',
  );
  fillRows(
    byId('transaction-events').tBodies[0],
    events.data.map((event) => [event.event_id, event.event_type, stateOf(event), event.attempts, event.last_error ?? '']),
    'No event kept: published events are purged after OUTBOX_RETENTION_DAYS.',
  );
  const message = events.data.at(-1)?.message;
  byId('transaction-message').textContent = message ? JSON.stringify(message, null, 2) : '';
  byId('transaction').hidden = false;
  byId('transaction-title').focus();
}

function stateOf(event) {
  if (event.state === 'published') return `published ${when(event.published_at)}`;
  if (event.state === 'dead_letter') return `dead letter since ${when(event.dead_at)}`;
  return `waiting, next attempt ${when(event.next_attempt_at)}`;
}
