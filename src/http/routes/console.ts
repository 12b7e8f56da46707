import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { PROJECT_ROOT } from '../../paths.js';

// The operator console: plain HTML, CSS and ES modules from console/ at the project root, served
// as they are (no build step). The page holds no data and no key of its own: it asks /v1 and
// /v1/admin with the key the operator types in. Off by default in production (CONSOLE_ENABLED):
// then /console is an unknown path, 404.

export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'console');
export const CONSOLE_PREFIX = '/console/';

/** The page runs only its own files, is never framed, and sends no Referer to anyone. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // Revalidated on every load, so an upgraded service never runs an old page against its API.
  'cache-control': 'no-cache',
};

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, {
    root: CONSOLE_DIR,
    prefix: CONSOLE_PREFIX,
    // One route per file, found at start-up: no other path under /console/ reaches the disk.
    wildcard: false,
    redirect: true,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    },
  });
};
