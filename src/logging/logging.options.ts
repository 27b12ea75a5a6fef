import { Logger as NestLogger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger, PinoLogger, type Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { logUrl, REDACTED } from './log-url.js';
import { isProbeRoute, routeOf } from '../common/routes.js';

export type LogSettings = Pick<AppConfig, 'logLevel' | 'nodeEnv'>;

export { REDACTED };

/**
 * Field names whose values are secrets: credentials and tokens, stream keys under every
 * name an ingest server uses for them (nginx-rtmp `name`, SRS `stream`, `key`), the ingest secret.
 */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'refreshToken',
  'accessToken',
  'token',
  'streamKey',
  'secret',
  'name',
  'stream',
  'key',
];

/**
 * A safety net for objects someone may log later; request log lines carry none of these
 * (see the serializers). Exact paths only: pino's wildcard paths (`*.password`) cost
 * ~90 µs per line with a list this size, more than everything else in a request.
 */
const REDACT_PATHS = [
  ...['password', 'currentPassword', 'newPassword', 'passwordHash', 'refreshToken', 'accessToken', 'token', 'streamKey', 'secret'],
  'headers.authorization',
  'headers.cookie',
  // No `req.headers.*`/`res.headers.*`: the req/res serializers below never output headers
  // (but the user agent), and a path under `req` would run redaction on every request line.
  ...SECRET_FIELDS.map((field) => `body.${field}`),
  // TypeORM's QueryFailedError carries the statement's parameters (hashes, keys).
  'err.parameters',
];

/** A caller's X-Request-ID is kept when it looks like an id, not free text to inject into logs. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's X-Request-ID when sane, else a UUID. It is bound
 * to every log line of the request (`reqId`) and echoed in the X-Request-Id response header.
 */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const rootLoggers = new Map<string, pino.Logger>();

/**
 * The process's pino logger: JSON lines on stdout, pretty only for a person at a
 * terminal outside production. One per settings, shared by the Fastify adapter
 * (request logs) and nestjs-pino (everything logged through Nest's Logger).
 */
export function rootLogger(settings: LogSettings): pino.Logger {
  const pretty = Boolean(process.stdout.isTTY) && settings.nodeEnv !== 'production';
  const key = `${settings.logLevel}|${pretty}`;
  let logger = rootLoggers.get(key);
  if (!logger) {
    logger = pretty
      ? pino({
          ...loggerOptions(settings),
          transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } },
        })
      : jsonLogger(settings, bufferedStdout());
    rootLoggers.set(key, logger);
  }
  return logger;
}

/**
 * stdout, 4 KB at a time or every 100 ms, instead of one write(2) per request line.
 * Synchronous, as pino's default: an asynchronous write goes through libuv's thread pool,
 * and that hand-off cost the key lookup 18 µs of CPU per request, more than the write
 * itself (bench/). Lines are kept as Buffers (sonic-boom's buffer mode): in its string mode
 * every write measures the UTF-8 length of the whole pending string again, 3–4 µs a line
 * here, no cheaper than a write(2) per line; as Buffers, 1.2–1.9 µs. pino flushes only
 * asynchronous destinations at exit, so this one is flushed here: the last lines before
 * `process.exit()` (a refused configuration, say) are kept; a SIGKILL loses at most the buffer.
 */
function bufferedStdout(): pino.DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 100, contentMode: 'buffer' });
  process.once('exit', () => {
    try {
      stdout.flushSync();
    } catch {
      // stdout already closed: nothing can be written anyway
    }
  });
  // sonic-boom's typings know only strings; in buffer mode it takes Buffers.
  return { write: (line: string) => stdout.write(Buffer.from(line) as unknown as string) };
}

function loggerOptions(settings: LogSettings): pino.LoggerOptions {
  return { level: settings.logLevel, redact: { paths: REDACT_PATHS, censor: REDACTED }, serializers, timestamp: isoTime };
}

/** Destinations of JSON loggers made by jsonLogger: writeRequestLine may write their request lines itself. */
const jsonDestinations = new WeakSet<object>();

/** The JSON logger on `destination` (exported for the test that holds writeRequestLine to pino's output). */
export function jsonLogger(settings: LogSettings, destination: pino.DestinationStream): pino.Logger {
  jsonDestinations.add(destination);
  return pino({ ...loggerOptions(settings), formatters: { level: (label: string) => ({ level: label }) } }, destination);
}

let lastMillis = 0;
let lastTime = '';

/** pino's ISO `time` field, formatted once per millisecond rather than once per line. */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * nestjs-pino reuses the request logger Fastify made (`useExisting`), so a line logged
 * through Nest's Logger while handling a request carries that request's `reqId`.
 */
export function loggerParams(settings: LogSettings): Params {
  return { pinoHttp: { logger: rootLogger(settings) }, useExisting: true };
}

/**
 * Fastify onResponse hook: the one log line per request (Fastify's own request logging is off),
 * but for a successful probe or scrape: kubelets, compose healthchecks and Prometheus call
 * those every few seconds, so their lines were most of an idle instance's log and a fifth of
 * the CPU of a GET /health/live (116 → 93 µs, bench/). They stay counted in
 * http_request_duration_seconds, and a probe that fails (a 503 while not ready or shutting
 * down) is logged.
 */
export function logRequestCompleted(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (reply.statusCode < 400 && isProbeRoute(routeOf(request))) return done();
  writeRequestLine(request, reply.statusCode, Math.round(reply.elapsedTime * 10) / 10);
  done();
}

type LoggerInternals = { [key: symbol]: unknown };

/**
 * The request's line, exactly as `request.log[level]({ req: request, res: reply, responseTime },
 * 'request completed')` writes it (src/logging/logging.options.spec.ts holds the two equal),
 * but put together here: pino's generic path (serializer lookups, redaction checks, a
 * stringify per key) was a quarter of the CPU of a GET /health/live (bench/). Loggers this
 * module did not make (pretty output, tests' own) take pino's path.
 */
export function writeRequestLine(request: FastifyRequest, statusCode: number, responseTime: number): void {
  const level = statusCode >= 500 ? 'error' : 'info';
  const log = request.log as pino.Logger;
  const stream = (log as unknown as LoggerInternals)[pino.symbols.streamSym] as pino.DestinationStream;
  if (!jsonDestinations.has(stream)) {
    log[level]({ req: request, res: { statusCode }, responseTime }, 'request completed');
    return;
  }
  if (!log.isLevelEnabled(level)) return;
  // `,"pid":…,"hostname":…,"reqId":…`: the bindings pino serialized when Fastify made the request's logger.
  const bindings = (log as unknown as LoggerInternals)[pino.symbols.chindingsSym] as string;
  const req = JSON.stringify(serializers.req(request));
  const time = Number.isFinite(responseTime) ? responseTime : null;
  stream.write(
    `{"level":"${level}"${isoTime()}${bindings},"req":${req},"res":{"statusCode":${statusCode}},"responseTime":${time},"msg":"request completed"}\n`,
  );
}

/**
 * How a request or reply appears in any log line (Fastify takes these over its own
 * serializers): the route template and the URL rebuilt from it (log-url.ts), never the raw
 * URL, headers, bodies or secret params.
 */
const serializers = {
  req: (req: FastifyRequest | IncomingMessage) => ({
    method: req.method,
    route: ('routeOptions' in req ? routeOf(req) : undefined) ?? null,
    url: logUrl(req),
    remoteAddress: 'ip' in req ? req.ip : req.socket?.remoteAddress,
    userAgent: req.headers?.['user-agent'],
  }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  err: pino.stdSerializers.err,
};

/**
 * Sends every Nest `Logger` call through pino from the first line on, so startup
 * messages (before the app exists) are JSON lines at the right level too.
 */
export function installLogger(settings: LogSettings): Logger {
  const params = loggerParams(settings);
  const logger = new Logger(new PinoLogger(params), params);
  NestLogger.overrideLogger(logger);
  return logger;
}
