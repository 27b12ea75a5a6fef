import type { DatabaseSchema } from '../database/database.options.js';
import { StreamLivePeriod } from './live-period.entity.js';
import { ReshapeStreamIndexes1700000001300 } from './migrations/1700000001300-ReshapeStreamIndexes.js';
import { AddLiveSettingsAndPeriods1700000003000 } from './migrations/1700000003000-AddLiveSettingsAndPeriods.js';
import { AddStreamEvents1700000004000 } from './migrations/1700000004000-AddStreamEvents.js';
import { StreamEvent } from './stream-event.entity.js';
import { Stream } from './stream.entity.js';

/** What the streams feature adds to the original schema. */
export const STREAMS_SCHEMA: DatabaseSchema = {
  entities: [Stream, StreamLivePeriod, StreamEvent],
  migrations: [ReshapeStreamIndexes1700000001300, AddLiveSettingsAndPeriods1700000003000, AddStreamEvents1700000004000],
};
