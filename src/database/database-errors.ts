import { QueryFailedError } from 'typeorm';

/** Error codes and driver messages that mean "the database cannot serve now", not "the query is wrong". */
const UNAVAILABLE_CODES = [
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
];
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

/** The SQLSTATE or socket error code of a driver error, also when TypeORM wrapped it. */
export function databaseErrorCode(error: unknown): string {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const code = (driverError as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : '';
}

/**
 * Connection refused/lost, pool or query timeouts (pg reports those as plain Errors,
 * not QueryFailedError), and SQLSTATE classes 08, 57P0x, 57014, 53300.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code.startsWith('08') || UNAVAILABLE_CODES.includes(code) || UNAVAILABLE_MESSAGES.test(errorMessage(error));
}

/** pg's client-side `query_timeout` fired: the server never answered, so the connection is unusable. */
export function isClientQueryTimeout(error: unknown): boolean {
  return errorMessage(error) === 'Query read timeout';
}

/**
 * Duck-typed on purpose: socket errors come from Node's own realm, where `instanceof Error`
 * is false under jest's VM modules (and for errors from another realm in general).
 */
function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : '';
}

/** `host:port/database` of a connection URL, for logs: never the user or password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
  } catch {
    return '(unparsable database URL)';
  }
}
