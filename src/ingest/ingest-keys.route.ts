import { ForbiddenException, Injectable, NotFoundException, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RejectNulPipe } from '../common/reject-nul.pipe.js';
import { API_PREFIX, fastifyOf } from '../common/routes.js';
import type { DocumentedRoute } from '../docs/api-docs.js';
import { KeyLookupDto, KeyRefusalDto } from './dto/key-lookup.dto.js';
import { REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestSecret } from './ingest-secret.guard.js';
import { IngestService } from './ingest.service.js';

const PATH = `/${API_PREFIX}/ingest/keys/:streamKey`;

/**
 * GET /api/v1/ingest/keys/:streamKey, the plain key lookup, as a Fastify route registered
 * on the adapter rather than a Nest controller: custom ingest servers call it for every
 * publish, and Nest's per-request pipeline (execution context, guard, pipes, response
 * controller) cost more CPU than the lookup itself (`npm run bench`, README). The same
 * IngestService, secret check and NUL rule as a controller would apply, in the same order;
 * what it throws goes to Nest's exception handler (CatchAllFilter), so 401/403/404/503 keep
 * the API's error shape. The global Fastify hooks (request id, log line, metrics) run as for
 * every route. Documented by INGEST_KEYS_DOC.
 */
@Injectable()
export class IngestKeysRoute implements OnModuleInit {
  private readonly rejectNul = new RejectNulPipe();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingest: IngestService,
    private readonly secret: IngestSecret,
  ) {}

  onModuleInit(): void {
    fastifyOf(this.adapterHost)?.get<{ Params: { streamKey: string } }>(
      PATH,
      { schema: { response: { 200: RESPONSE_SCHEMA } } },
      (request) => this.lookup(request),
    );
  }

  private async lookup(request: FastifyRequest<{ Params: { streamKey: string } }>): Promise<KeyLookupDto> {
    this.secret.check(request, false, 'keys');
    const decision = await this.ingest.lookup('keys', this.rejectNul.transform(request.params.streamKey));
    switch (decision.outcome) {
      case 'allowed':
        return decision.stream;
      case 'unknown':
        throw new NotFoundException(REFUSAL_MESSAGES.unknown);
      case 'disabled':
      case 'expired':
      case 'live_limit':
        throw new ForbiddenException({
          statusCode: 403,
          message: REFUSAL_MESSAGES[decision.outcome],
          error: 'Forbidden',
          reason: decision.outcome,
        });
    }
  }
}

/** KeyLookupDto for Fastify's serializer (no other field can slip into the answer). */
const RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    streamId: { type: 'integer' },
    userId: { type: 'integer' },
    username: { type: 'string' },
    status: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
  required: ['streamId', 'userId', 'username', 'status', 'expiresAt'],
} as const;

/** The route's OpenAPI entry, as the controller's decorators used to write it. */
export const INGEST_KEYS_DOC: DocumentedRoute = {
  path: '/api/v1/ingest/keys/{streamKey}',
  models: [KeyLookupDto, KeyRefusalDto],
  item: {
    get: {
      operationId: 'IngestKeysController_lookup',
      parameters: [{ name: 'streamKey', required: true, in: 'path', schema: { type: 'string' } }],
      responses: {
        200: { description: 'Usable key', content: { 'application/json': { schema: { $ref: '#/components/schemas/KeyLookupDto' } } } },
        401: { description: 'Missing or wrong ingest secret' },
        403: {
          description: 'Disabled or expired stream, or its owner at the live limit',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/KeyRefusalDto' } } },
        },
        404: { description: 'Unknown key' },
      },
      security: [{ bearer: [] }],
      summary: 'May this key publish? For custom ingest servers',
      tags: ['ingest'],
    },
  },
};
