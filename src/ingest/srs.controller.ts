import { Body, Header, HttpCode, HttpException, HttpStatus, Ip, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiForbiddenResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { SrsHookDto } from './dto/srs-hook.dto.js';
import { optionalField, requiredField, type HookBody } from './hook-fields.js';
import { IngestController } from './ingest-controller.decorator.js';
import { IngestService, type PublishInfo } from './ingest.service.js';

/** SRS reads an HTTP 200 whose body is `0` as "allow"; anything else refuses. */
const SRS_OK = '0';

/**
 * SRS `http_hooks` on_publish / on_unpublish / on_hls (JSON; the key is `stream`).
 * on_hls (sent for every HLS segment while HLS is on) is the session's heartbeat: a
 * session that sent one is closed by the quiet-session sweep when its on_unpublish is
 * lost; without HLS a session ends only at on_unpublish.
 */
@ApiBadRequestResponse({ description: 'No stream or client_id' })
@IngestController('srs', 'ingest/srs', { hint: 'in the hook URLs of srs.conf', required: false })
export class SrsController {
  constructor(private readonly ingest: IngestService) {}

  @Post('on_publish')
  @ApiBody({ type: SrsHookDto })
  @HttpCode(HttpStatus.OK)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Allow a usable key (body 0) and mark the stream live' })
  @ApiOkResponse({ description: 'Body `0`: allowed' })
  @ApiForbiddenResponse({ description: '`{"code":403}`: refused' })
  async onPublish(@Body() body: HookBody, @Ip() serverAddr: string): Promise<string> {
    const outcome = await this.ingest.publish('srs', requiredField(body, 'stream', 256), publishInfo(body, serverAddr));
    if (outcome !== 'allowed') throw new HttpException({ code: HttpStatus.FORBIDDEN }, HttpStatus.FORBIDDEN);
    return SRS_OK;
  }

  @Post('on_unpublish')
  @ApiBody({ type: SrsHookDto })
  @HttpCode(HttpStatus.OK)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'End the session; the stream is active again unless another session is open' })
  @ApiOkResponse({ description: 'Body `0`' })
  async onUnpublish(@Body() body: HookBody, @Ip() serverAddr: string): Promise<string> {
    await this.ingest.publishDone('srs', publishInfo(body, serverAddr));
    return SRS_OK;
  }

  @Post('on_hls')
  @ApiBody({ type: SrsHookDto })
  @HttpCode(HttpStatus.OK)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'Heartbeat of a publish (one per HLS segment): keeps its session open; a publish we had lost track of is taken up again',
  })
  @ApiOkResponse({ description: 'Body `0` (SRS cannot stop a publisher on this hook, so there is no refusal)' })
  async onHls(@Body() body: HookBody, @Ip() serverAddr: string): Promise<string> {
    await this.ingest.heartbeat('srs', requiredField(body, 'stream', 256), publishInfo(body, serverAddr));
    return SRS_OK;
  }
}

function publishInfo(body: HookBody, serverAddr: string): PublishInfo {
  return { serverAddr, clientId: requiredField(body, 'client_id'), remoteAddr: optionalField(body, 'ip') };
}
