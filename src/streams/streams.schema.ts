import type { DatabaseSchema } from '../database/database.options.js';
import { ReshapeStreamIndexes1700000001300 } from './migrations/1700000001300-ReshapeStreamIndexes.js';
import { Stream } from './stream.entity.js';

/** What the streams feature adds to the original schema. */
export const STREAMS_SCHEMA: DatabaseSchema = { entities: [Stream], migrations: [ReshapeStreamIndexes1700000001300] };
