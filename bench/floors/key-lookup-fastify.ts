import Fastify from 'fastify';
import { serveKeyLookup } from './fastify-lookup.js';

/**
 * A reference beside the key lookup's floor: the same secret check and the same named
 * prepared statement, served by bare Fastify (no logger, hooks or metrics). Its ratio to the
 * node:http floor is what Fastify itself costs; the app's gap beyond it is its own
 * per-request work.
 */
await serveKeyLookup(Fastify({ routerOptions: { maxParamLength: 1024 } }));
