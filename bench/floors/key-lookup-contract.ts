import { contractFastify } from './contract.js';
import { serveKeyLookup } from './fastify-lookup.js';

/**
 * A reference beside the key lookup's floors: bare Fastify (no Nest) doing the lookup plus
 * only the per-request work the contract asks of every answer (contract.ts: request id, log
 * line, Cache-Control, three Prometheus observations). Its gap to the bare Fastify floor is
 * what that work costs; the app's gap beyond it is Nest's adapter and the app's own structure.
 */
const { app, metrics } = contractFastify();
await serveKeyLookup(app, (seconds, outcome) => {
  metrics.statement('key_lookup', seconds);
  metrics.decision('keys', outcome);
});
