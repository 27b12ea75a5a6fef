import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The JSON SRS `http_hooks` post on_publish / on_unpublish / on_hls (documentation; fields read by the controller). */
export class SrsHookDto {
  @ApiProperty({ enum: ['on_publish', 'on_unpublish', 'on_hls'] })
  action: string;

  @ApiProperty({ description: 'SRS connection id of the publisher' })
  client_id: string;

  @ApiProperty({ description: 'The stream key' })
  stream: string;

  @ApiPropertyOptional()
  ip?: string;

  @ApiPropertyOptional()
  vhost?: string;

  @ApiPropertyOptional()
  app?: string;

  @ApiPropertyOptional()
  param?: string;

  @ApiPropertyOptional()
  server_id?: string;
}
