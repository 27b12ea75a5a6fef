import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Helmet's default security headers, worked out once: they depend on nothing in the
 * request (this app uses no CSP nonces), so responses get one frozen object instead of
 * helmet's middleware chain rebuilding the same strings on every request.
 */
export function securityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const collector = {
    setHeader: (name: string, value: string | number) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  // helmet's middlewares only set and remove headers, synchronously.
  helmet()({} as IncomingMessage, collector as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure !== undefined || Object.keys(headers).length === 0) throw new Error(`helmet produced no headers: ${String(failure)}`);
  return Object.freeze(headers);
}
