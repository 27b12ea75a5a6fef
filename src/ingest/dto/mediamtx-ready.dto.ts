import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The form the documented `runOnReady` / `runOnNotReady` commands post (curl
 * --data-urlencode of MediaMTX's own variables; documentation, fields read by the controller).
 */
export class MediaMtxReadyDto {
  @ApiProperty({
    description: '$MTX_PATH: the last segment is the stream key',
    example: 'live/q3Zk0c6V1yJp8sE2u9WmN4bXr7tLhA5dFgKiOoPwQeY',
  })
  path: string;

  @ApiProperty({ description: '$MTX_SOURCE_ID: the publishing connection', example: '7b2d4a3c-0e1f-4c55-9b7a-2f6c1d8e9a01' })
  source_id: string;

  @ApiPropertyOptional({ description: '$MTX_SOURCE_TYPE', example: 'rtmpConn' })
  source_type?: string;
}
