import type { DatabaseSchema } from '../database/database.options.js';
import { CaseInsensitiveUserIndexes1700000001000 } from './migrations/1700000001000-CaseInsensitiveUserIndexes.js';
import { User } from './user.entity.js';

/** What the users feature adds to the original schema. */
export const USERS_SCHEMA: DatabaseSchema = { entities: [User], migrations: [CaseInsensitiveUserIndexes1700000001000] };
