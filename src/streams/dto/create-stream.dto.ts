import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { MaxContinuousSeconds, ReconnectWindowSeconds } from './live-settings.js';

export const MIN_EXPIRES_IN_SECONDS = 60;
export const MAX_EXPIRES_IN_SECONDS = 31_536_000;

export class CreateStreamDto {
  @ApiPropertyOptional({
    minimum: MIN_EXPIRES_IN_SECONDS,
    maximum: MAX_EXPIRES_IN_SECONDS,
    description: 'Seconds until the key expires; STREAM_DEFAULT_TTL_SECONDS when omitted',
    example: 86_400,
  })
  // Optional, but null is not a value (IsOptional would let it through as "absent").
  @ValidateIf((_, value) => value !== undefined)
  @IsInt()
  @Min(MIN_EXPIRES_IN_SECONDS)
  @Max(MAX_EXPIRES_IN_SECONDS)
  expiresInSeconds?: number;

  @ReconnectWindowSeconds()
  reconnectWindowSeconds?: number;

  @MaxContinuousSeconds()
  maxContinuousSeconds?: number;
}
