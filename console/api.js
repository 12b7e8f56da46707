// The console's one way to the service: same-origin fetches that carry the operator's API key in
// X-Service-Api-Key. The key lives in this tab's sessionStorage only (gone when the tab closes),
// and never in a URL, where logs and history would keep it.

const KEY_STORAGE_NAME = 'wallet-ledger-console.api-key';

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE_NAME) ?? '';
}

export function storeKey(key) {
  sessionStorage.setItem(KEY_STORAGE_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE_NAME);
}

/** An answer that is not 2xx: the service's problem details (RFC 9457), or what stood in for them. */
export class ApiProblem extends Error {
  constructor(status, title, detail, code) {
    super(`${title}: ${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
  }
}

/** GET or POST a /v1 path; resolves to the JSON body, rejects with an ApiProblem. */
export async function callApi(method, path) {
  const headers = { accept: 'application/json' };
  const key = storedKey();
  if (key) headers['x-service-api-key'] = key;
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    throw new ApiProblem(0, 'The service did not answer', String(error?.message ?? error), 'network_error');
  }
  const body = await response.json().catch(() => undefined);
  if (response.ok) return body;
  const title = typeof body?.title === 'string' ? body.title : `HTTP ${response.status}`;
  const detail = typeof body?.detail === 'string' ? body.detail : response.statusText;
  throw new ApiProblem(response.status, title, detail, body?.code);
}

/** A path segment or query value, percent-encoded. */
export function encoded(value) {
  return encodeURIComponent(value);
}
