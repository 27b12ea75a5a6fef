import { Body, ForbiddenException, HttpCode, HttpStatus, Ip, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import { NginxHookDto } from './dto/nginx-hook.dto.js';
import { field, optionalField, requiredField, type HookBody } from './hook-fields.js';
import { allows, REFUSAL_MESSAGES } from './ingest-decision.js';
import { IngestController } from './ingest-controller.decorator.js';
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
  @ApiForbiddenResponse({
    description: 'Unknown, disabled or expired key, or the owner at MAX_LIVE_STREAMS_PER_USER: nginx drops the publisher',
  })
  @ApiServiceUnavailableResponse({ description: 'Database unreachable: a new publish is refused' })
  async onPublish(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    const outcome = await this.ingest.publish('nginx', requiredField(body, 'name', 256), publishInfo(body, serverAddr));
    if (!allows(outcome)) throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  @Post('on_update')
  @ApiBody({ type: NginxHookDto })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Every notify_update_timeout while publishing: refuse once the key was rotated, disabled, deleted or expired, or the live period ran past maxContinuousSeconds',
  })
  @ApiOkResponse({
    description:
      'Still usable (a publish we had lost track of is taken up again); while the database is unreachable, any publish that began before the outage, for up to INGEST_OUTAGE_GRACE_SECONDS',
  })
  @ApiForbiddenResponse({ description: 'No longer usable: nginx drops the publisher' })
  @ApiServiceUnavailableResponse({ description: 'Database unreachable and the grace over (or 0), or the publish began during the outage' })
  async onUpdate(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
    const outcome = await this.ingest.update(
      'nginx',
      requiredField(body, 'name', 256),
      publishInfo(body, serverAddr),
      runningSeconds(body),
    );
    if (!allows(outcome)) throw new ForbiddenException(REFUSAL_MESSAGES[outcome]);
  }

  @Post('on_publish_done')
  @ApiBody({ type: NginxHookDto })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'A publisher left: end its session; once no session is open and the reconnect window passed, the stream is active again',
  })
  @ApiOkResponse({ description: 'Recorded (nginx ignores the answer)' })
  async onPublishDone(@Body() body: HookBody, @Ip() serverAddr: string): Promise<void> {
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
