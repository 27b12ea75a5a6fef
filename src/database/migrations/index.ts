import { InitialSchema1700000000000 } from './1700000000000-InitialSchema.js';
import { AddPublishSessions1700000002000 } from './1700000002000-AddPublishSessions.js';

/** Applied in timestamp order. Append new migrations here. */
export const MIGRATIONS = [InitialSchema1700000000000, AddPublishSessions1700000002000];
