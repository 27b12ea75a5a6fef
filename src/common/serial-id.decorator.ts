import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** PostgreSQL's `integer`, the type of SERIAL ids. */
export const MAX_SERIAL_ID = 2_147_483_647;

/** The id a path segment names, if it can name a SERIAL row at all: digits only, 1 … 2^31−1. */
export function parseSerialId(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id <= MAX_SERIAL_ID ? id : undefined;
}

/**
 * `@SerialIdParam('id', () => new NotFoundException(...))`: the path parameter as a
 * SERIAL id, or the caller's error when it cannot be one (never a cast error from the
 * database). A parameter decorator rather than a pipe: the global ValidationPipe would
 * already have turned "01" or "1e3" into a number before a pipe saw the text.
 */
export const SerialIdParam = createParamDecorator(
  ({ name, invalid }: { name: string; invalid: () => Error }, context: ExecutionContext): number => {
    const params = context.switchToHttp().getRequest<{ params: Record<string, string> }>().params;
    const id = parseSerialId(params[name]);
    if (id === undefined) throw invalid();
    return id;
  },
);
