import type { Logger } from 'pino';
import type { CommitPositions } from '../db/commitPositions.js';
import type { LedgerWriter } from '../ledger/ledgerWriter.js';
import type { WriteResponse } from './writeResponses.js';

// The writer the routes use: each answer the ledger decided (a success, a rejection, a replay)
// comes back with a WAL position at or after its commit, sent as X-Ledger-Position. A failure
// (5xx) committed nothing to point at; nor does an answer whose position could not be read in
// time, which is still sent, without the header (the write is committed either way).

export function answersWithPositions(writer: LedgerWriter<WriteResponse>, positions: CommitPositions, logger: Logger): LedgerWriter<WriteResponse> {
  return {
    async submit(operation) {
      const response = await writer.submit(operation);
      if (response.statusCode >= 500) return response;
      try {
        return { ...response, position: await positions.after() };
      } catch (error) {
        logger.warn({ err: error }, 'the WAL position of a write could not be read: answered without X-Ledger-Position');
        return response;
      }
    },
    close: () => writer.close(),
  };
}
