import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../errors.js';

// Swagger UI's assets are files under /docs/static/. A path that would leave that folder, or that
// names no file a disk could hold (NUL, a backslash, bad percent-encoding), is answered 404 here,
// before the static file server sees it: its own refusals differ between versions (403, 400, 500).

const STATIC_PREFIX = '/docs/static/';
const UNSERVABLE = /\0|\\|(^|\/)\.\.(\/|$)/;

export function refuseUnservableDocsPaths(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0]!;
    if (!path.startsWith(STATIC_PREFIX)) return;
    if (!isServable(path.slice(STATIC_PREFIX.length))) {
      throw ProblemError.of('not_found', `No route for ${request.method} ${path}`);
    }
  });
}

function isServable(relativePath: string): boolean {
  try {
    return !UNSERVABLE.test(decodeURIComponent(relativePath));
  } catch {
    return false;
  }
}
