import type { DatabaseSchema } from '../database/database.options.js';
import { AddPublishSessions1700000002000 } from './migrations/1700000002000-AddPublishSessions.js';
import { PublishSession } from './publish-session.entity.js';

/** Publish sessions. */
export const INGEST_SCHEMA: DatabaseSchema = { entities: [PublishSession], migrations: [AddPublishSessions1700000002000] };
