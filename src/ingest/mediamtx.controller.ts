import { Body, ForbiddenException, HttpCode, HttpStatus, Ip, Post, UnauthorizedException } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { MediaMtxAuthDto } from './dto/mediamtx-auth.dto.js';
import { MediaMtxReadyDto } from './dto/mediamtx-ready.dto.js';
import { field, requiredField, type HookBody } from './hook-fields.js';
import { allows, REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestController } from './ingest-controller.decorator.js';
import { IngestService, type PublishInfo } from './ingest.service.js';

/**
 * MediaMTX. `authMethod: http` decides (2xx allows, anything else denies): only
 * publishing needs a key; reading and playback are open; MediaMTX's own api, metrics
 * and pprof are never opened through this hook. The auth hook has no end event, so
 * liveness comes from the `runOnReady` / `runOnNotReady` commands (curl, see README):
 * a publish that became ready opens a session and marks the stream live; not ready
 * any more ends it. MediaMTX ignores their answers, so the auth hook stays the gate.
 */
@IngestController('mediamtx', 'ingest/mediamtx', {
  hint: 'in authHTTPAddress and the runOnReady / runOnNotReady URLs of mediamtx.yml',
  required: false,
})
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
    const decision = await this.ingest.lookup('mediamtx', keyOf(field(body, 'path')));
    if (decision.outcome !== 'allowed') throw new UnauthorizedException(REFUSAL_MESSAGES[decision.outcome]);
  }

  @Post('on_ready')
  @HttpCode(HttpStatus.OK)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: MediaMtxReadyDto })
  @ApiOperation({ summary: 'runOnReady: a publish is ready; its session opens and the stream is live' })
  @ApiOkResponse({ description: 'Recorded' })
  @ApiForbiddenResponse({ description: 'Not a usable key (MediaMTX ignores the answer; its auth hook refused the publish already)' })
  async onReady(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    const outcome = await this.ingest.publish('mediamtx', keyOf(requiredField(body, 'path', 512)), readyInfo(body, serverAddr));
    if (!allows(outcome)) throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  @Post('on_not_ready')
  @HttpCode(HttpStatus.OK)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: MediaMtxReadyDto })
  @ApiOperation({
    summary: 'runOnNotReady: the publish ended; once no session is open and the reconnect window passed, the stream is active',
  })
  @ApiOkResponse({ description: 'Recorded' })
  async onNotReady(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    await this.ingest.publishDone('mediamtx', readyInfo(body, serverAddr));
  }
}

/** The key is the last segment of the path (`live/<key>`). */
function keyOf(path: string | undefined): string | undefined {
  return path?.split('/').filter(Boolean).at(-1);
}

function readyInfo(body: HookBody, serverAddr: string): PublishInfo {
  return { serverAddr, clientId: requiredField(body, 'source_id'), remoteAddr: null };
}
