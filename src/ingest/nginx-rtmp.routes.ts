import { ForbiddenException, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RejectNulPipe } from '../common/reject-nul.pipe.js';
import { API_PREFIX, fastifyOf } from '../common/routes.js';
import type { DocumentedRoute, PathItem } from '../docs/api-docs.js';
import { NginxHookDto } from './dto/nginx-hook.dto.js';
import { field, optionalField, requiredField, type HookBody } from './hook-fields.js';
import { allows, REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestSecret } from './ingest-secret.guard.js';
import { IngestService, type PublishInfo } from './ingest.service.js';

const PREFIX = `/${API_PREFIX}/ingest/nginx`;

/**
 * nginx-rtmp `on_publish` / `on_update` / `on_publish_done`, as Fastify routes registered on
 * the adapter rather than a Nest controller (like IngestKeysRoute): nginx calls on_update for
 * every publisher every few seconds, and Nest's per-request pipeline (execution context,
 * guard, pipes, response controller) cost about as much CPU as the hook's own SQL
 * (`npm run bench`, README).
 *
 * What the controller did, in the same order: the secret from `?secret=` or the Bearer header
 * only (IngestSecret, refusals counted for `nginx`), then the NUL rule on the whole body (the
 * global RejectNulPipe), then the decision; 200 with an empty body, or an HttpException that
 * Nest's exception handler (CatchAllFilter) answers in the API's error shape, as it does
 * database errors (503). Bodies are parsed by the content-type parsers Nest registers on
 * the instance (form and JSON), under the same body limit.
 *
 * nginx decides by the status code alone: 2xx allows, 4xx/5xx drops, and any 3xx would allow
 * `on_publish` as a redirect, so these routes answer 200 or an error, never a redirect. The
 * secret is never read from the form, and `call` is never read: the route says which call it
 * is, and a publisher can append fields of its own to the form (hook-fields.ts takes the first).
 * Documented by NGINX_RTMP_DOCS.
 */
@Injectable()
export class NginxRtmpRoutes implements OnModuleInit {
  private readonly rejectNul = new RejectNulPipe();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingest: IngestService,
    private readonly secret: IngestSecret,
  ) {}

  onModuleInit(): void {
    const fastify = fastifyOf(this.adapterHost);
    if (!fastify) return;
    fastify.post(`${PREFIX}/on_publish`, (request, reply) => this.hook(request, reply, (body, ip) => this.onPublish(body, ip)));
    fastify.post(`${PREFIX}/on_update`, (request, reply) => this.hook(request, reply, (body, ip) => this.onUpdate(body, ip)));
    fastify.post(`${PREFIX}/on_publish_done`, (request, reply) => this.hook(request, reply, (body, ip) => this.onPublishDone(body, ip)));
  }

  /** The guard, the pipe and `@HttpCode(200)` of the controller this replaces. */
  private async hook(
    request: FastifyRequest,
    reply: FastifyReply,
    decide: (body: HookBody, serverAddr: string) => Promise<void>,
  ): Promise<void> {
    this.secret.check(request, true, 'nginx');
    await decide(this.rejectNul.transform(request.body as HookBody), request.ip);
    // No payload: `content-length: 0` and no content-type, as Nest sent for a void handler.
    reply.code(200).send();
  }

  private async onPublish(body: HookBody, serverAddr: string): Promise<void> {
    const outcome = await this.ingest.publish('nginx', requiredField(body, 'name', 256), publishInfo(body, serverAddr));
    if (!allows(outcome)) throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  private async onUpdate(body: HookBody, serverAddr: string): Promise<void> {
    const outcome = await this.ingest.update(
      'nginx',
      requiredField(body, 'name', 256),
      publishInfo(body, serverAddr),
      runningSeconds(body),
    );
    if (!allows(outcome)) throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  private async onPublishDone(body: HookBody, serverAddr: string): Promise<void> {
    await this.ingest.publishDone('nginx', publishInfo(body, serverAddr));
  }
}

/** on_update's `time`: whole seconds since the publish started (null when absent or not a number). */
function runningSeconds(body: HookBody): number | null {
  const time = field(body, 'time');
  return time !== undefined && /^\d{1,10}$/.test(time) ? Number(time) : null;
}

function publishInfo(body: HookBody, serverAddr: string): PublishInfo {
  return {
    serverAddr,
    clientId: requiredField(body, 'clientid'),
    remoteAddr: optionalField(body, 'addr'),
  };
}

/** What every hook's OpenAPI entry shares, as the controller's class decorators wrote it. */
function hookOperation(
  operationId: string,
  summary: string,
  responses: Record<number, { description: string }>,
): NonNullable<PathItem['post']> {
  return {
    operationId,
    parameters: [{ name: 'secret', required: true, in: 'query', description: 'INGEST_SECRET, in the hook URL of nginx.conf', schema: {} }],
    requestBody: {
      required: true,
      content: { 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/NginxHookDto' } } },
    },
    responses: {
      200: responses[200],
      400: { description: 'No name or clientid' },
      401: { description: 'Missing or wrong ingest secret' },
      ...responses,
    },
    security: [{ bearer: [] }],
    summary,
    tags: ['ingest'],
  };
}

/** The three routes' OpenAPI entries, as the controller's decorators used to write them. */
export const NGINX_RTMP_DOCS: DocumentedRoute[] = [
  {
    path: `${PREFIX}/on_publish`,
    models: [NginxHookDto],
    item: {
      post: hookOperation('NginxRtmpController_onPublish', 'A publisher connects: allow a usable key and mark the stream live', {
        200: { description: 'Allowed' },
        403: {
          description: 'Unknown, disabled or expired key, or the owner at MAX_LIVE_STREAMS_PER_USER: nginx drops the publisher',
        },
        503: { description: 'Database unreachable: a new publish is refused' },
      }),
    },
  },
  {
    path: `${PREFIX}/on_update`,
    models: [NginxHookDto],
    item: {
      post: hookOperation(
        'NginxRtmpController_onUpdate',
        'Every notify_update_timeout while publishing: refuse once the key was rotated, disabled, deleted or expired, or the live period ran past maxContinuousSeconds',
        {
          200: {
            description:
              'Still usable (a publish we had lost track of is taken up again); while the database is unreachable, any publish that began before the outage, for up to INGEST_OUTAGE_GRACE_SECONDS',
          },
          403: { description: 'No longer usable: nginx drops the publisher' },
          503: { description: 'Database unreachable and the grace over (or 0), or the publish began during the outage' },
        },
      ),
    },
  },
  {
    path: `${PREFIX}/on_publish_done`,
    models: [NginxHookDto],
    item: {
      post: hookOperation(
        'NginxRtmpController_onPublishDone',
        'A publisher left: end its session; once no session is open and the reconnect window passed, the stream is active again',
        { 200: { description: 'Recorded (nginx ignores the answer)' } },
      ),
    },
  },
];
