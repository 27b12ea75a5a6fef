import { BadRequestException } from '@nestjs/common';

/**
 * Position in the newest-first list: the last row's `created_at` (PostgreSQL's
 * full microseconds, as text, since a JS Date would round them away) and its id,
 * which breaks ties. Opaque to clients: base64url of a small JSON array.
 */
export interface StreamCursor {
  createdAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: StreamCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

/** Anything we did not hand out is a 400, never a database error. */
export function decodeCursor(value: string): StreamCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !TIMESTAMP.test(createdAt) || !UUID.test(id)) throw invalid();
  // Rejects dates the regex lets through (month 13, 30 February) before PostgreSQL would.
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 23) !== createdAt.slice(0, 23)) throw invalid();
  return { createdAt, id };
}

function invalid(): BadRequestException {
  return new BadRequestException('cursor is malformed');
}
