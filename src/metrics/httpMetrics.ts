import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceMetrics } from './serviceMetrics.js';

// Counts every HTTP answer by the route it matched (its pattern, so ids do not multiply the series)
// and, for writes, by outcome: the problem code of a refusal, read from the problem body itself,
// so that every refusal counts, whoever produced it (validation, the ledger, the edge). The hooks
// take callbacks rather than promises, and count without prom-client's label hashing: they run on
// every request.

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Problem bodies are small; a larger error payload is not one of ours and is not parsed. */
const PROBLEM_BODY_PARSED_MAX = 64 * 1024;

export function observeHttp(app: FastifyInstance, metrics: ServiceMetrics): void {
  const problemCodes = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length <= PROBLEM_BODY_PARSED_MAX) {
      const code = problemCodeOf(payload);
      if (code) problemCodes.set(request, code);
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const { method } = request;
    const status = reply.statusCode;
    metrics.httpRequestDuration
      .seriesOf(`${method} ${status} ${route}`, () => ({ route, method, status_code: String(status) }))
      .observe(reply.elapsedTime / 1000);
    if (WRITE_METHODS.has(method)) {
      const outcome = problemCodes.get(request) ?? (status === 201 ? 'created' : status < 400 ? 'ok' : String(status));
      metrics.writeOutcomes.increment(`${route} ${outcome}`, () => ({ route, outcome }));
      if (reply.getHeader('idempotent-replayed') === 'true') metrics.idempotentReplays.increment(route, () => ({ route }));
    }
    done();
  });
}

function problemCodeOf(payload: string): string | undefined {
  try {
    const body = JSON.parse(payload) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}
