import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The form nginx-rtmp posts to on_publish / on_update / on_publish_done
 * (documentation only: the controller reads the fields itself, taking the first
 * of repeated ones, because nginx appends the publisher's own query string).
 */
export class NginxHookDto {
  @ApiProperty({ description: 'The stream key (the last part of rtmp://host/app/<name>)' })
  name: string;

  @ApiProperty({ description: 'nginx connection id of the publisher' })
  clientid: string;

  @ApiPropertyOptional({ description: 'The publisher’s address' })
  addr?: string;

  @ApiPropertyOptional({ enum: ['publish', 'update_publish', 'publish_done'], description: 'Ignored: the route says which call it is' })
  call?: string;

  @ApiPropertyOptional({ description: 'on_update only: whole seconds since the publish started (decides the outage grace)' })
  time?: string;

  @ApiPropertyOptional()
  app?: string;

  @ApiPropertyOptional()
  tcurl?: string;

  @ApiPropertyOptional()
  type?: string;
}
