import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { STREAM_EVENT_TYPES } from '../../streams/stream-events.repository.js';
import { MAX_URL_LENGTH } from './create-webhook.dto.js';

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: MAX_URL_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ enum: STREAM_EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(STREAM_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(STREAM_EVENT_TYPES, { each: true, message: `each value in events must be one of ${STREAM_EVENT_TYPES.join(', ')}` })
  events?: string[];

  @ApiPropertyOptional({ description: 'false: nothing is sent; deliveries waiting for it are marked failed' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}
