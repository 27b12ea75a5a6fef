import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { STREAM_EVENT_TYPES } from '../../streams/stream-events.repository.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook-delivery.entity.js';

/** `Delivery` of the contract. */
export class DeliveryDto {
  @ApiProperty({ type: 'integer' })
  id: number;

  @ApiProperty({ format: 'uuid' })
  eventId: string;

  @ApiProperty({ enum: STREAM_EVENT_TYPES })
  eventType: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer' })
  attempts: number;

  @ApiProperty({ type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500' })
  lastError: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null once delivered or failed' })
  nextAttemptAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: Date | null;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] })
  items: DeliveryDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

export class ListDeliveriesQueryDto {
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
