import type { FastifyRequest, RouteOptions } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
import { ProblemError } from '../errors.js';
import type { ReadPools } from '../db/readPools.js';
import { parseWalPosition, type WalPosition } from '../db/walPosition.js';

// X-Ledger-Position, the consistency token: with DATABASE_READ_URL set, every write's answer
// carries the WAL position of its commit (or later); a GET that sends it back reads from the
// replica only once the replica has replayed that far (src/db/readPools.ts). A malformed one is a
// 400 naming the header, with or without a replica.

export const LEDGER_POSITION_HEADER = 'X-Ledger-Position';

const POSITION_DESCRIPTION = "A position in the ledger database's write-ahead log (PostgreSQL's LSN text, e.g. 0/16B3748), at or after the commit of the write that answered it";

function ledgerPosition(description: string) {
  return Type.String({ pattern: '^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$', description });
}

const READ_HEADERS = Type.Object({
  [LEDGER_POSITION_HEADER]: Type.Optional(ledgerPosition(
    `${POSITION_DESCRIPTION}. Send a write's ${LEDGER_POSITION_HEADER} back to read that write: the read waits briefly for the replica, or reads from the primary`,
  )),
});

const WRITE_HEADERS = {
  [LEDGER_POSITION_HEADER]: ledgerPosition(`${POSITION_DESCRIPTION}; send it back on a GET to read your own write. Sent when the service reads from a replica (DATABASE_READ_URL)`),
};

/** The caller's X-Ledger-Position, or undefined when none was sent; a 400 when it is not an LSN. */
export function readLedgerPosition(request: FastifyRequest): WalPosition | undefined {
  const header = request.headers['x-ledger-position'];
  if (header === undefined) return undefined;
  const position = typeof header === 'string' ? parseWalPosition(header.trim()) : undefined;
  if (position !== undefined) return position;
  const message = 'must be one WAL position as PostgreSQL prints it, e.g. 0/16B3748';
  throw ProblemError.of('validation_error', `${LEDGER_POSITION_HEADER} ${message}`, {
    errors: [{ in: 'header', field: LEDGER_POSITION_HEADER, message }],
  });
}

/** Runs a GET's `work` on the pool its X-Ledger-Position (or its absence) allows. */
export function readAsOfPosition<T>(reads: ReadPools, request: FastifyRequest, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  return reads.run(readLedgerPosition(request), work);
}

/**
 * An onRoute hook: documents the header on the route's OpenAPI operation, as a request header of
 * a GET and as a response header of a write's successes (hidden routes are left alone).
 */
export function documentLedgerPosition(route: RouteOptions): void {
  const schema = route.schema ?? {};
  if (schema.hide) return;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.includes('GET')) {
    const given = schema.documentedHeaders;
    route.schema = { ...schema, documentedHeaders: given ? Type.Object({ ...given.properties, ...READ_HEADERS.properties }) : READ_HEADERS };
  } else if (methods.some((method) => method === 'POST' || method === 'PATCH')) {
    const responses = { ...(schema.response as Record<string, Record<string, unknown>>) };
    for (const status of Object.keys(responses).filter((code) => code.startsWith('2'))) {
      const response = responses[status]!;
      responses[status] = { ...response, headers: { ...(response.headers as object | undefined), ...WRITE_HEADERS } };
    }
    route.schema = { ...schema, response: responses };
  }
}
