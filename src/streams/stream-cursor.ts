import { BadRequestException } from '@nestjs/common';
import type { StreamPosition } from './streams.repository.js';

/**
 * Position in the newest-first list: the last row's `created_at` (PostgreSQL's full
 * microseconds, as text, since a JS Date would round them away; null for rows of
 * older services without one) and its integer id, which breaks ties. Opaque to
 * clients: base64url of a small JSON array.
 */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_ID = 2_147_483_647;

export function encodeCursor(position: StreamPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

/** Anything we did not hand out is a 400, never a database error. */
export function decodeCursor(value: string): StreamPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || id > MAX_ID) throw invalid();
  if (createdAt === null) return { createdAt, id };
  if (typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt)) throw invalid();
  // Rejects dates the regex lets through (month 13, 30 February) before PostgreSQL would.
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 23) !== createdAt.slice(0, 23)) throw invalid();
  return { createdAt, id };
}

function invalid(): BadRequestException {
  return new BadRequestException('cursor is malformed');
}
