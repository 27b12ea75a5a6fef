import { ApiProperty } from '@nestjs/swagger';
import { STREAM_EVENT_TYPES } from '../../streams/stream-events.repository.js';

/** `Webhook` of the contract. */
export class WebhookDto {
  @ApiProperty({ type: 'integer', example: 3 })
  id: number;

  @ApiProperty({ example: 'https://hooks.example.com/streamly' })
  url: string;

  @ApiProperty({ enum: STREAM_EVENT_TYPES, isArray: true })
  events: string[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

/** Only in the answers to creation and rotation: the secret is never shown again. */
export class WebhookWithSecretDto extends WebhookDto {
  @ApiProperty({ description: 'HMAC-SHA256 key for Streamly-Signature; shown once', example: 'whsec_3q2+7w…' })
  secret: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookDto] })
  items: WebhookDto[];
}
