import { RateLimit } from '../auth/rate-limit.entity.js';
import { RefreshToken } from '../auth/refresh-token.entity.js';
import { PublishSession } from '../ingest/publish-session.entity.js';
import { Stream } from '../streams/stream.entity.js';
import { User } from '../users/user.entity.js';

/**
 * Every entity, listed once (no globs: they break under ESM). The one place where
 * the database layer names feature code, because the schema spans features.
 */
export const ENTITIES = [User, Stream, RefreshToken, RateLimit, PublishSession];
