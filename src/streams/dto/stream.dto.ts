import { ApiProperty } from '@nestjs/swagger';
import { STREAM_STATUSES, type StreamStatus } from '../stream.entity.js';

/** `Stream` of the contract. Only ever sent to the stream's owner: it holds the key. */
export class StreamDto {
  @ApiProperty({ type: 'integer', example: 42 })
  id: number;

  @ApiProperty({ type: 'integer', example: 7 })
  userId: number;

  @ApiProperty({ description: 'Secret: paste into the encoder; never logged', example: 'q3Zk0c6V1yJp8sE2u9WmN4bXr7tLhA5dFgKiOoPwQeY' })
  streamKey: string;

  @ApiProperty({ enum: STREAM_STATUSES, description: '`expired` as soon as expiresAt has passed' })
  status: StreamStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null only on rows written by older services' })
  createdAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null only on rows written by older services' })
  updatedAt: Date | null;

  @ApiProperty({ format: 'date-time' })
  expiresAt: Date;

  @ApiProperty({ type: 'integer', example: 60, description: 'Seconds the stream stays live after the last publisher left' })
  reconnectWindowSeconds: number;

  @ApiProperty({ type: 'integer', example: 43_200, description: 'Longest live period before it is cut off' })
  maxContinuousSeconds: number;
}

export class StreamPageDto {
  @ApiProperty({ type: [StreamDto] })
  items: StreamDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
