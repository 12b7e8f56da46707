import { forgetKey, storedKey, storeKey } from './api.js';
import { firstStatementPage, lookUpAccount, newerEntries, olderEntries } from './account.js';
import { refreshRelay, replayAll, runActionsWith } from './relay.js';
import { lookUpTransaction } from './transaction.js';
import { byId, clearMessages, guarded } from './view.js';

// Wires the page's forms and buttons. Everything is a native form or button, so the keyboard
// alone drives it: Tab to a control, Enter or Space to act.

runActionsWith(guarded);

function showKeyState() {
  byId('key-status').textContent = storedKey()
    ? 'A key is set for this tab. It is sent as X-Service-Api-Key and forgotten when the tab closes.'
    : 'No key yet: it is kept in this tab only, until the tab is closed.';
}

function onSubmit(formId, action) {
  const form = byId(formId);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    guarded(form.querySelector('button[type="submit"]'), action);
  });
}

function onClick(buttonId, action) {
  const control = byId(buttonId);
  control.addEventListener('click', () => guarded(control, action));
}

const openTransaction = (id) => guarded(null, async () => {
  byId('transaction-query').value = id;
  await lookUpTransaction(id);
});

onSubmit('key-form', async () => {
  storeKey(byId('api-key').value.trim());
  byId('api-key').value = '';
  showKeyState();
});
byId('forget-key').addEventListener('click', () => {
  forgetKey();
  clearMessages();
  showKeyState();
});
onSubmit('account-form', () => lookUpAccount(byId('account-query').value, openTransaction));
onSubmit('transaction-form', () => lookUpTransaction(byId('transaction-query').value));
onClick('statement-older', olderEntries);
onClick('statement-newer', newerEntries);
byId('page-size').addEventListener('change', () => guarded(null, firstStatementPage));
onClick('relay-refresh', refreshRelay);
onClick('replay-all', replayAll);
showKeyState();
