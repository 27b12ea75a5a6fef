/**
 * A request URL as it may appear in a log line: the stream key in the ingest
 * lookup's path and every `secret` query parameter are replaced. Meant for the
 * request logger's serializer (pino-http `serializers.req`), so neither a key
 * nor the ingest secret ever reaches a log.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const redactedPath = path.replace(/(\/ingest\/keys\/)[^/]*/i, '$1[REDACTED]');
  if (queryAt === -1) return redactedPath;
  const params = url
    .slice(queryAt + 1)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const name = equals === -1 ? param : param.slice(0, equals);
      // Compared decoded, as the server reads it: `?%73ecret=` is `secret` too.
      return decodedName(name).toLowerCase() === 'secret' ? `${name}=[REDACTED]` : param;
    });
  return `${redactedPath}?${params.join('&')}`;
}

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
