import type { DatabaseSchema } from '../database/database.options.js';
import { AddRefreshTokens1700000001100 } from './migrations/1700000001100-AddRefreshTokens.js';
import { AddRateLimits1700000001200 } from './migrations/1700000001200-AddRateLimits.js';
import { AddRefreshTokenFamilyStart1700000005000 } from './migrations/1700000005000-AddRefreshTokenFamilyStart.js';
import { RateLimit } from './rate-limit.entity.js';
import { RefreshToken } from './refresh-token.entity.js';

/** Sessions (refresh tokens) and rate-limit counters. */
export const AUTH_SCHEMA: DatabaseSchema = {
  entities: [RefreshToken, RateLimit],
  migrations: [AddRefreshTokens1700000001100, AddRateLimits1700000001200, AddRefreshTokenFamilyStart1700000005000],
};
