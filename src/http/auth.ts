import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../errors.js';

// Every /v1 call carries X-Service-Api-Key. Both sides are hashed first so that the comparison
// takes the same time whatever the lengths, and runs in constant time.

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function requireApiKey(app: FastifyInstance, apiKey: string): void {
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-service-api-key'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      throw ProblemError.of('unauthorized', 'Send a valid X-Service-Api-Key header');
    }
  });
}
