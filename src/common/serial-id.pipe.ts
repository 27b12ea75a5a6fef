import type { PipeTransform } from '@nestjs/common';

/** PostgreSQL's `integer`, the type of SERIAL ids. */
export const MAX_SERIAL_ID = 2_147_483_647;

/**
 * A `:id` path segment naming a SERIAL row: digits only, 1 … 2^31−1. Anything else
 * names no row, so the caller decides the answer (404 for a resource id), never a
 * cast error from the database.
 */
export class SerialIdPipe implements PipeTransform<string, number> {
  constructor(private readonly invalid: () => Error) {}

  transform(value: string): number {
    if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > MAX_SERIAL_ID) throw this.invalid();
    return Number(value);
  }
}
