import { callApi, encoded } from './api.js';
import { button, byId, fillFields, fillRows, showNotice, when } from './view.js';

// The outbox relay's state (backlog, the oldest waiting event's age, dead letters with their last
// error) and the one thing an operator does about it: replay a dead letter, or all of them.

export async function refreshRelay() {
  const state = await callApi('GET', '/v1/admin/outbox');
  fillFields(byId('relay-fields'), [
    ['Backlog (events waiting)', state.backlog],
    ['Oldest waiting event', state.backlog === 0 ? '(none)' : `${state.oldest_age_seconds.toFixed(1)} s old`],
    ['Dead letters', state.dead_letter_count],
  ]);
  fillRows(
    byId('dead-letters').tBodies[0],
    state.dead_letters.map((letter) => [
      letter.event_id,
      letter.event_type,
      letter.attempts,
      letter.last_error ?? '',
      when(letter.dead_at),
      button('Replay', `Replay dead letter ${letter.event_id}`, (event) => replayOne(event.currentTarget, letter.event_id)),
    ]),
    'No dead letters.',
  );
  byId('replay-all').disabled = state.dead_letter_count === 0;
}

/** Set by console.js: runs an action as every control does (busy mark, problems shown). */
let run = async (_control, action) => action();

export function runActionsWith(guarded) {
  run = guarded;
}

async function replayOne(control, eventId) {
  await run(control, async () => {
    const { replayed } = await callApi('POST', `/v1/admin/dead-letters/${encoded(eventId)}/replay`);
    await refreshRelay();
    showNotice(`Replayed ${replayed} dead letter (${eventId}): it is back in the outbox.`);
    byId('relay-refresh').focus();
  });
}

export async function replayAll() {
  const { replayed } = await callApi('POST', '/v1/admin/dead-letters/replay');
  await refreshRelay();
  showNotice(`Replayed ${replayed} dead letter${replayed === 1 ? '' : 's'}: back in the outbox.`);
  byId('relay-refresh').focus();
}
