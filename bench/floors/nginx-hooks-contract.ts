import { contractFastify } from './contract.js';
import { nginxHooks, type HookCall } from './nginx-decisions.js';
import { floorPool, listenFastify, secretChecker } from './pool.js';

/**
 * A reference beside the nginx hooks' floor: the same decisions (nginx-decisions.ts) on bare
 * Fastify (no Nest) with only the per-request work the contract asks of every answer
 * (contract.ts: request id, log line, Cache-Control, the request, statement and decision
 * observations). Its gap to the node:http floor is what that work and the framework cost;
 * the app's gap beyond it is Nest's adapter and the app's own structure.
 */
const pool = floorPool();
const secretOk = secretChecker();
const { app, metrics } = contractFastify();
const answer = nginxHooks(pool, metrics);

app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
  done(null, new URLSearchParams(body as string)),
);
for (const call of ['on_publish', 'on_update'] as const satisfies HookCall[]) {
  app.post<{ Querystring: { secret?: unknown } }>(`/api/v1/ingest/nginx/${call}`, async (request, reply) => {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const secret = request.query.secret;
    const given = scheme.toLowerCase() === 'bearer' ? (token ?? '') : typeof secret === 'string' ? secret : undefined;
    if (!secretOk(given)) return reply.code(401).send({ statusCode: 401 });
    const { status, body } = await answer(call, request.body as URLSearchParams, request.ip);
    return reply.code(status).send(body);
  });
}
await listenFastify(app, pool);
