import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { routeOf } from '../common/routes.js';

export const REDACTED = '[REDACTED]';

/**
 * What a request's URL may look like in a log, decided by the route Fastify matched
 * rather than by how the client spelled it (`/ingest/%6Beys/<key>`, `//ingest/keys/<key>`,
 * `/INGEST/KEYS/<key>`, trailing segments ...):
 * - a matched route is logged as its template with the parameters filled in: ids (digits)
 *   as sent, anything else [REDACTED];
 * - an unmatched path keeps only the segments that are words of some route of this app;
 * - query values are kept only for names known to be harmless; a known secret name keeps
 *   its name, anything else is [REDACTED] whole.
 */
export function logUrl(req: FastifyRequest | IncomingMessage): string {
  const raw = req.url ?? '';
  const queryStart = raw.search(/[?#]/);
  const path = queryStart === -1 ? raw : raw.slice(0, queryStart);
  const template = 'routeOptions' in req ? routeOf(req) : undefined;
  const logged = template === undefined ? unmatchedPath(path) : filledTemplate(template, (req as FastifyRequest).params);
  return queryStart === -1 ? logged : `${logged}${query(raw.slice(queryStart))}`;
}

/** Query names whose values are logged as sent (list filters and paging). */
const SAFE_QUERY = new Set(['status', 'limit', 'cursor']);
/** Query names that are logged, with the value [REDACTED]: the ones ingest servers and clients use for secrets. */
const SECRET_QUERY = new Set(['secret', 'token', 'key', 'name', 'stream', 'password', 'accesstoken', 'refreshtoken', 'streamkey']);
/** Route parameters never logged whatever they hold (an old stream key may be all digits). */
const SECRET_PARAMS = new Set(['streamKey', 'key', 'token', 'secret']);

/** Static segments of every registered route; filled by `rememberRoute` (Fastify's onRoute hook). */
const routeWords = new Set(['', '.', '..']);

export function rememberRoute(url: string): void {
  for (const segment of url.split('/')) {
    if (!segment.startsWith(':') && !segment.includes('*')) routeWords.add(segment);
  }
}

/** A route template's segments, split once per route: a literal, or the name of a parameter (`null` for `*`). */
const templates = new Map<string, Array<{ literal: string } | { param: string | null }>>();

function filledTemplate(template: string, params: unknown): string {
  let segments = templates.get(template);
  if (segments === undefined) {
    segments = template.split('/').map((segment) => {
      if (segment === '*') return { param: null };
      if (!segment.startsWith(':')) return { literal: segment };
      return { param: segment.slice(1).replace(/\(.*$/, '') }; // `:id(^\\d+)` → id
    });
    templates.set(template, segments);
  }
  const values = (params ?? {}) as Record<string, unknown>;
  let url = '';
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (i > 0) url += '/';
    if ('literal' in segment) url += segment.literal;
    else {
      const name = segment.param;
      const value = name === null ? undefined : values[name];
      url += name !== null && typeof value === 'string' && /^\d{1,19}$/.test(value) && !SECRET_PARAMS.has(name) ? value : REDACTED;
    }
  }
  return url;
}

function unmatchedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (routeWords.has(decoded(segment)) ? segment : REDACTED))
    .join('/');
}

function query(rest: string): string {
  // A fragment is never sent by browsers; whatever follows '#' is dropped from the log.
  const hash = rest.indexOf('#');
  const search = hash === -1 ? rest : rest.slice(0, hash);
  const pairs = search
    .slice(1)
    .split('&')
    .map((pair) => {
      if (pair === '') return pair;
      const separator = pair.indexOf('=');
      const rawName = separator === -1 ? pair : pair.slice(0, separator);
      const name = decoded(rawName.replace(/\+/g, ' ')).toLowerCase();
      if (SAFE_QUERY.has(name)) return pair;
      if (SECRET_QUERY.has(name)) return separator === -1 ? rawName : `${rawName}=${REDACTED}`;
      return REDACTED;
    });
  return (search === '' ? '' : `?${pairs.join('&')}`) + (hash === -1 ? '' : `#${REDACTED}`);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
