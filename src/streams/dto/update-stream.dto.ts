import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, Matches, ValidateIf } from 'class-validator';
import { MaxContinuousSeconds, ReconnectWindowSeconds } from './live-settings.js';

export const OWNER_SETTABLE_STATUSES = ['active', 'disabled'] as const;

export class UpdateStreamDto {
  @ApiPropertyOptional({ enum: OWNER_SETTABLE_STATUSES, description: '`live` and `expired` are set by the system, not by owners' })
  // Optional, but null is not a value (IsOptional would let it through as "absent").
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(OWNER_SETTABLE_STATUSES)
  status?: (typeof OWNER_SETTABLE_STATUSES)[number];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'New expiry with an explicit zone, 60 s to 365 days from now; renews an expired stream',
    example: '2030-01-01T00:00:00Z',
  })
  // Optional, but null is not a value (IsOptional would let it through as "absent").
  @ValidateIf((_, value) => value !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  // Without a zone the instant would depend on the server's time zone.
  @Matches(/(Z|[+-]\d{2}:?\d{2})$/i, { message: 'expiresAt must name its time zone (Z or ±hh:mm)' })
  expiresAt?: string;

  @ReconnectWindowSeconds()
  reconnectWindowSeconds?: number;

  @MaxContinuousSeconds()
  maxContinuousSeconds?: number;
}
