import assert from 'node:assert/strict';
import type { ApiResponse } from '../support/service.js';

// Assertions shared by the HTTP tests: the exact shape of a problem response.

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const UNKNOWN_ID = '0190a000-0000-7000-8000-000000000000';

/** The response is an RFC 9457 problem with this status and code, and all required members. */
export function assertProblem(response: ApiResponse, status: number, code: string): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.raw}`);
  assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE);
  assert.equal(response.body.status, status);
  assert.equal(response.body.code, code);
  assert.equal(typeof response.body.title, 'string');
  assert.ok(response.body.title.length > 0);
  assert.equal(typeof response.body.detail, 'string');
  assert.ok(response.body.detail.length > 0);
  assert.equal(response.body.type, `urn:problem-type:wallet-ledger:${code}`);
}

/** A validation_error whose `errors` name exactly these fields. */
export function assertInvalidFields(response: ApiResponse, fields: string[], location = 'body'): void {
  assertProblem(response, 400, 'validation_error');
  const named = (response.body.errors as Array<{ in: string; field: string; message: string }>).map((error) => {
    assert.equal(error.in, location);
    assert.equal(typeof error.message, 'string');
    return error.field;
  });
  assert.deepEqual(named.sort(), [...fields].sort(), `errors: ${response.raw}`);
}
