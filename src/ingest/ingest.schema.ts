import type { DatabaseSchema } from '../database/database.options.js';
import { AddPublishSessions1700000002000 } from './migrations/1700000002000-AddPublishSessions.js';
import { LiveSessionRecords1700000003100 } from './migrations/1700000003100-LiveSessionRecords.js';
import { PublishSession } from './publish-session.entity.js';

/** Publish sessions. */
export const INGEST_SCHEMA: DatabaseSchema = {
  entities: [PublishSession],
  migrations: [AddPublishSessions1700000002000, LiveSessionRecords1700000003100],
};
