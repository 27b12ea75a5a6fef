import { InitialSchema1700000000000 } from './1700000000000-InitialSchema.js';

/** Applied in timestamp order. Append new migrations here. */
export const MIGRATIONS = [InitialSchema1700000000000];
