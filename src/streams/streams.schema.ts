import type { DatabaseSchema } from '../database/database.options.js';
import { StreamLivePeriod } from './live-period.entity.js';
import { ReshapeStreamIndexes1700000001300 } from './migrations/1700000001300-ReshapeStreamIndexes.js';
import { AddLiveSettingsAndPeriods1700000003000 } from './migrations/1700000003000-AddLiveSettingsAndPeriods.js';
import { Stream } from './stream.entity.js';

/** What the streams feature adds to the original schema. */
export const STREAMS_SCHEMA: DatabaseSchema = {
  entities: [Stream, StreamLivePeriod],
  migrations: [ReshapeStreamIndexes1700000001300, AddLiveSettingsAndPeriods1700000003000],
};
