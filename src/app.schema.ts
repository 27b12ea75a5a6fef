import { AUTH_SCHEMA } from './auth/auth.schema.js';
import type { DatabaseSchema } from './database/database.options.js';
import { INGEST_SCHEMA } from './ingest/ingest.schema.js';
import { STREAMS_SCHEMA } from './streams/streams.schema.js';
import { USERS_SCHEMA } from './users/users.schema.js';
import { WEBHOOKS_SCHEMA } from './webhooks/webhooks.schema.js';

/**
 * Every feature's entities and migrations (no globs: they break under ESM), for the
 * app, the TypeORM CLI (ormconfig.ts) and the migration tools. The database layer
 * orders the migrations by timestamp after the original schema's.
 */
const FEATURES: DatabaseSchema[] = [USERS_SCHEMA, STREAMS_SCHEMA, AUTH_SCHEMA, INGEST_SCHEMA, WEBHOOKS_SCHEMA];

export const APP_SCHEMA: DatabaseSchema = {
  entities: FEATURES.flatMap((feature) => feature.entities),
  migrations: FEATURES.flatMap((feature) => feature.migrations),
};
