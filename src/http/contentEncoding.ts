import type { FastifyInstance } from 'fastify';
import { problem, ProblemError } from '../errors.js';

// The service decodes no content coding (gzip, br, ...): a body sent with one would be parsed as
// if it were plain JSON. RFC 9110 §15.5.16: answer 415 and name the codings accepted.

const IDENTITY = 'identity';

export function refuseContentEncodings(app: FastifyInstance): void {
  app.addHook('preParsing', async (request) => {
    const given = request.headers['content-encoding'];
    if (given === undefined) return;
    const codings = given.split(',').map((coding) => coding.trim().toLowerCase()).filter(Boolean);
    if (codings.every((coding) => coding === IDENTITY)) return;
    const message = `${given} is not supported; send the body without a content coding`;
    throw new ProblemError(
      problem('unsupported_media_type', `Content-Encoding ${message}`, { errors: [{ in: 'header', field: 'content-encoding', message }] }),
      { 'accept-encoding': IDENTITY },
    );
  });
}
