import { InitialSchema1700000000000 } from './1700000000000-InitialSchema.js';
import { CaseInsensitiveUsernames1700000001000 } from './1700000001000-CaseInsensitiveUsernames.js';
import { AddRefreshTokens1700000001100 } from './1700000001100-AddRefreshTokens.js';
import { AddRateLimits1700000001200 } from './1700000001200-AddRateLimits.js';
import { AddPublishSessions1700000002000 } from './1700000002000-AddPublishSessions.js';
import { IndexRefreshTokenExpiry1700000003000 } from './1700000003000-IndexRefreshTokenExpiry.js';

/** Applied in timestamp order. Append new migrations here. */
export const MIGRATIONS = [
  InitialSchema1700000000000,
  CaseInsensitiveUsernames1700000001000,
  AddRefreshTokens1700000001100,
  AddRateLimits1700000001200,
  AddPublishSessions1700000002000,
  IndexRefreshTokenExpiry1700000003000,
];
