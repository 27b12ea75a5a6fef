import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { STREAM_EVENT_TYPES } from '../../streams/stream-events.repository.js';

export const MAX_URL_LENGTH = 2048;

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.example.com/streamly',
    maxLength: MAX_URL_LENGTH,
    description: 'http:// or https://; private and loopback addresses are refused',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url: string;

  @ApiPropertyOptional({ enum: STREAM_EVENT_TYPES, isArray: true, description: 'Omitted: every event type, including types added later' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(STREAM_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(STREAM_EVENT_TYPES, { each: true, message: `each value in events must be one of ${STREAM_EVENT_TYPES.join(', ')}` })
  events?: string[];
}
