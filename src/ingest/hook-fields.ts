import { BadRequestException } from '@nestjs/common';

/**
 * A hook body as parsed (form or JSON). Typed loosely on purpose: each server
 * sends fields of its own and adds more between versions, so the global
 * ValidationPipe (which rejects unknown fields) must not see a DTO here; each
 * adapter reads and checks the few fields it needs.
 */
export type HookBody = Record<string, unknown> | undefined;

/**
 * A field's value. When a form field is repeated, the first one counts: nginx
 * writes its own fields first and appends the publisher's RTMP query string
 * unescaped, so `live/bogus?name=<victim's key>` sends `name` twice.
 */
export function field(body: HookBody, name: string): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  const first: unknown = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (typeof first === 'number' && Number.isFinite(first)) return String(first);
  return undefined;
}

/** A field the hook cannot be decided without: missing, empty or oversized is a 400. */
export function requiredField(body: HookBody, name: string, maxLength = 128): string {
  const value = field(body, name);
  if (value === undefined || value === '' || value.length > maxLength) {
    throw new BadRequestException([`${name} must be a non-empty string of at most ${maxLength} characters`]);
  }
  return value;
}

/** Informational fields (the encoder's address) are kept short rather than refused. */
export function optionalField(body: HookBody, name: string, maxLength = 128): string | null {
  return field(body, name)?.slice(0, maxLength) || null;
}
