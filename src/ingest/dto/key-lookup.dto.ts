import { ApiProperty } from '@nestjs/swagger';

/** The ingest key lookup's answer for a usable key. */
export class KeyLookupDto {
  @ApiProperty({ type: 'integer', example: 42 })
  streamId: number;

  @ApiProperty({ type: 'integer', example: 7 })
  userId: number;

  @ApiProperty()
  username: string;

  @ApiProperty({ enum: ['active', 'live'] })
  status: 'active' | 'live';

  @ApiProperty({ format: 'date-time' })
  expiresAt: Date;
}

/** A refused key: Nest's error shape plus the contract's `reason`. */
export class KeyRefusalDto {
  @ApiProperty({ example: 403 })
  statusCode: number;

  @ApiProperty({ example: 'stream is disabled' })
  message: string;

  @ApiProperty({ example: 'Forbidden' })
  error: string;

  @ApiProperty({
    enum: ['disabled', 'expired', 'live_limit'],
    description: '`live_limit`: the owner already has MAX_LIVE_STREAMS_PER_USER other streams live',
  })
  reason: 'disabled' | 'expired' | 'live_limit';
}
