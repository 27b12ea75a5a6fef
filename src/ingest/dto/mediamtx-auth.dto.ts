import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The JSON MediaMTX posts with `authMethod: http` (documentation; fields read by the controller). */
export class MediaMtxAuthDto {
  @ApiProperty({ enum: ['publish', 'read', 'playback', 'api', 'metrics', 'pprof'] })
  action: string;

  @ApiProperty({
    description: 'For publish, the last segment is the stream key',
    example: 'live/q3Zk0c6V1yJp8sE2u9WmN4bXr7tLhA5dFgKiOoPwQeY',
  })
  path: string;

  @ApiPropertyOptional()
  user?: string;

  @ApiPropertyOptional()
  password?: string;

  @ApiPropertyOptional()
  token?: string;

  @ApiPropertyOptional()
  ip?: string;

  @ApiPropertyOptional({ example: 'rtmp' })
  protocol?: string;

  @ApiPropertyOptional()
  id?: string;

  @ApiPropertyOptional()
  query?: string;
}
