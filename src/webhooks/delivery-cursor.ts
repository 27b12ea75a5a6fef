import { BadRequestException } from '@nestjs/common';

/**
 * The delivery log's page position, in the streams list's cursor style: base64url of
 * `[createdAt with PostgreSQL's microseconds, id]`, opaque to clients. Anything we
 * did not hand out is a 400, never a database error.
 */
export interface DeliveryPosition {
  createdAt: string;
  id: number;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeDeliveryCursor(position: DeliveryPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeDeliveryCursor(value: string): DeliveryPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [createdAt, id] = parsed as unknown[];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw invalid();
  if (typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt)) throw invalid();
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 23) !== createdAt.slice(0, 23)) throw invalid();
  return { createdAt, id };
}

function invalid(): BadRequestException {
  return new BadRequestException('cursor is malformed');
}
