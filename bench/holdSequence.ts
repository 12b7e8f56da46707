import type autocannon from 'autocannon';
import { captureRequest, holdRequest, requestHeaders, type HttpRequest } from './loadScenarios.js';

// The authorize-then-capture scenario as autocannon's request list: each connection keeps a context
// (autocannon's per-connection object) and sends the list in order, again and again, so each
// connection loops over POST /v1/holds, then POST /v1/holds/{the hold's id}/capture; the capture
// reads the id from the hold's answer. A refused hold has no id: the capture's setupRequest then
// returns nothing, which autocannon documents as "restart from the first request" (the refusal is
// already counted as a non-2xx answer, and fails the run).

interface HoldContext {
  holdId?: string;
}

export interface SequenceCallbacks {
  /** A non-2xx answer (the first one's status and body are kept for the report). */
  onFailure(status: number, body: string): void;
  /** A capture answered 2xx: one authorize-then-capture pair done. */
  onPairCompleted(): void;
}

/** The id of the hold a 2xx answer of POST /v1/holds created; an answer without one breaks the API's contract. */
export function holdIdOf(body: string): string {
  const id: unknown = (JSON.parse(body) as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') throw new Error(`POST /v1/holds answered 2xx without a hold id: ${body.slice(0, 200)}`);
  return id;
}

export function authorizeCaptureRequests(accounts: number, apiKey: string, callbacks: SequenceCallbacks): autocannon.Request[] {
  const prepared = (request: autocannon.Request, next: HttpRequest): autocannon.Request =>
    ({ ...request, ...next, body: next.body ?? '', headers: requestHeaders(next, apiKey) });
  return [
    {
      setupRequest: (request: autocannon.Request, context: object) => {
        delete (context as HoldContext).holdId;
        return prepared(request, holdRequest(accounts));
      },
      onResponse: (status: number, body: string, context: object) => {
        if (status >= 200 && status < 300) (context as HoldContext).holdId = holdIdOf(body);
        else callbacks.onFailure(status, body);
      },
    },
    {
      setupRequest: (request: autocannon.Request, context: object) => {
        const holdId = (context as HoldContext).holdId;
        // Documented: a falsy return restarts the connection's list from the first request.
        if (holdId === undefined) return undefined as unknown as autocannon.Request;
        return prepared(request, captureRequest(holdId));
      },
      onResponse: (status: number, body: string) => {
        if (status >= 200 && status < 300) callbacks.onPairCompleted();
        else callbacks.onFailure(status, body);
      },
    },
  ];
}
