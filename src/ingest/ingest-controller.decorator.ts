import { applyDecorators, Controller, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { IngestAdapter, type IngestAdapterName } from './ingest-decision.js';
import { IngestSecretGuard, SecretInQuery } from './ingest-secret.guard.js';

/**
 * An ingest controller at `path`: guarded by the shared secret, its refusals counted
 * for `adapter`, documented alike. `querySecret` only for the hook routes of servers that
 * cannot send a header: `hint` says where their operator puts `?secret=`, `required` when
 * the header is not an option at all (nginx-rtmp). Without it, the Bearer header only.
 */
export function IngestController(adapter: IngestAdapterName, path: string, querySecret?: { hint: string; required: boolean }) {
  const query = querySecret
    ? [SecretInQuery(true), ApiQuery({ name: 'secret', required: querySecret.required, description: `INGEST_SECRET, ${querySecret.hint}` })]
    : [];
  return applyDecorators(
    ApiTags('ingest'),
    ApiBearerAuth(),
    ...query,
    ApiUnauthorizedResponse({ description: 'Missing or wrong ingest secret' }),
    IngestAdapter(adapter),
    UseGuards(IngestSecretGuard),
    Controller(path),
  );
}
