import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { STREAM_STATUSES, type StreamStatus } from '../stream.entity.js';

export class ListStreamsQueryDto {
  @ApiPropertyOptional({
    enum: STREAM_STATUSES,
    description: 'Only streams showing this status (`expired` includes streams past expiresAt)',
  })
  @IsOptional()
  @IsIn(STREAM_STATUSES)
  status?: StreamStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
