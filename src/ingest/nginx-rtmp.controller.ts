import { Body, ForbiddenException, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { NginxHookDto } from './dto/nginx-hook.dto.js';
import { optionalField, requiredField, type HookBody } from './hook-fields.js';
import { REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestController } from './ingest-secret.guard.js';
import { IngestService, type PublishInfo } from './ingest.service.js';

/**
 * nginx-rtmp `on_publish` / `on_update` / `on_publish_done`. nginx decides by
 * the status code alone: 2xx allows, 4xx/5xx drops, and any 3xx would allow
 * `on_publish` as a redirect, so these routes answer 200 or an error, never a
 * redirect. The secret comes from the hook URL (`?secret=`), never the form,
 * and `call` is never read: the route says which call it is, and a publisher
 * can append fields of its own to the form.
 */
@ApiConsumes('application/x-www-form-urlencoded')
@ApiBadRequestResponse({ description: 'No name or clientid' })
@IngestController('nginx', 'ingest/nginx', { hint: 'in the hook URL of nginx.conf', required: true })
export class NginxRtmpController {
  constructor(private readonly ingest: IngestService) {}

  @Post('on_publish')
  @ApiBody({ type: NginxHookDto })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'A publisher connects: allow a usable key and mark the stream live' })
  @ApiOkResponse({ description: 'Allowed' })
  @ApiForbiddenResponse({ description: 'Unknown, disabled or expired key: nginx drops the publisher' })
  async onPublish(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    const outcome = await this.ingest.publish('nginx', requiredField(body, 'name', 256), publishInfo(body, serverAddr));
    if (outcome !== 'allowed') throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  @Post('on_update')
  @ApiBody({ type: NginxHookDto })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Every notify_update_timeout while publishing: refuse once the key was rotated, disabled, deleted or expired' })
  @ApiOkResponse({ description: 'Still usable' })
  @ApiForbiddenResponse({ description: 'No longer usable: nginx drops the publisher' })
  async onUpdate(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    const outcome = await this.ingest.update('nginx', requiredField(body, 'name', 256), publishInfo(body, serverAddr));
    if (outcome !== 'allowed') throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  @Post('on_publish_done')
  @ApiBody({ type: NginxHookDto })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'A publisher left: end its session; the stream is active again unless another session is open' })
  @ApiOkResponse({ description: 'Recorded (nginx ignores the answer)' })
  async onPublishDone(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    await this.ingest.publishDone('nginx', publishInfo(body, serverAddr));
  }
}

function publishInfo(body: HookBody, serverAddr: string): PublishInfo {
  return {
    serverAddr,
    clientId: requiredField(body, 'clientid'),
    remoteAddr: optionalField(body, 'addr'),
  };
}
