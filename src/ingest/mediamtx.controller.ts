import { Body, HttpCode, HttpStatus, Post, UnauthorizedException } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { MediaMtxAuthDto } from './dto/mediamtx-auth.dto.js';
import { field, type HookBody } from './hook-fields.js';
import { REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestController } from './ingest-secret.guard.js';
import { IngestService } from './ingest.service.js';

/**
 * MediaMTX `authMethod: http`: 2xx allows, anything else denies. Only publishing
 * needs a key; reading and playback are open; MediaMTX's own api, metrics and
 * pprof are never opened through this hook. This hook has no matching "publish
 * ended" call, so MediaMTX publishes are checked, not tracked as live sessions.
 */
@IngestController('mediamtx', 'ingest/mediamtx', { hint: 'in authHTTPAddress of mediamtx.yml', required: false })
export class MediaMtxController {
  constructor(private readonly ingest: IngestService) {}

  @Post('auth')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'publish: the last segment of path is the key; read/playback: allowed; api/metrics/pprof: denied' })
  @ApiBody({ type: MediaMtxAuthDto })
  @ApiOkResponse({ description: 'Allowed' })
  @ApiUnauthorizedResponse({ description: 'Denied (or missing/wrong ingest secret)' })
  async auth(@Body() body: HookBody): Promise<void> {
    const action = field(body, 'action');
    if (action === 'read' || action === 'playback') return;
    if (action !== 'publish') throw new UnauthorizedException(`action ${action === undefined ? '(none)' : 'not allowed'}`);
    const key = field(body, 'path')?.split('/').filter(Boolean).at(-1);
    const decision = await this.ingest.lookup('mediamtx', key);
    if (decision.outcome !== 'allowed') throw new UnauthorizedException(REFUSAL_MESSAGES[decision.outcome]);
  }
}
