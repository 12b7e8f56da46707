import { ProblemError } from '../errors.js';
import { instantMicroseconds } from '../instant.js';

// The `from` and `to` of a list: a half-open window [from, to), both RFC 3339 text that the
// schema has checked, compared to the microsecond as PostgreSQL will read them.

/** `from` after `to` leaves no window: a 400 naming `from`. Equal ends are an empty window, not an error. */
export function checkTimeWindow(from: string | undefined, to: string | undefined): void {
  if (from === undefined || to === undefined) return;
  if (instantMicroseconds(from) > instantMicroseconds(to)) {
    throw ProblemError.of('validation_error', 'from is after to', {
      errors: [{ in: 'query', field: 'from', message: 'must not be after to' }],
    });
  }
}
