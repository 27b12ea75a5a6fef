import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { JwtAuthGuard } from '../common/jwt-auth.guard.js';
import { MAX_SERIAL_ID, SerialIdParam } from '../common/serial-id.decorator.js';
import { CreateWebhookDto } from './dto/create-webhook.dto.js';
import { UpdateWebhookDto } from './dto/update-webhook.dto.js';
import { WebhookDto, WebhookListDto, WebhookWithSecretDto } from './dto/webhook.dto.js';
import { notFound, WebhooksService } from './webhooks.service.js';

/** A malformed or out-of-range id names no endpoint: 404 like any other missing one. */
export const WebhookId = () => SerialIdParam({ name: 'id', invalid: notFound });
export const WEBHOOK_ID_PARAM = { name: 'id', schema: { type: 'integer', minimum: 1, maximum: MAX_SERIAL_ID } } as const;

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or tampered access token' })
@UseGuards(JwtAuthGuard)
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiCreatedResponse({ type: WebhookWithSecretDto, description: 'The endpoint with its signing secret, shown this once' })
  @ApiBadRequestResponse({ description: 'Bad URL, refused address, unknown event, or unknown fields' })
  @ApiForbiddenResponse({ description: '`{reason: "webhook_limit"}`: the user has 10 endpoints already' })
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    return this.webhooks.create(user.id, dto);
  }

  @Get()
  @ApiOkResponse({ type: WebhookListDto })
  list(@CurrentUser() user: AuthenticatedUser): Promise<WebhookListDto> {
    return this.webhooks.list(user.id);
  }

  @Get(':id')
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookDto })
  @ApiNotFoundResponse({ description: 'No such endpoint of the caller' })
  get(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number): Promise<WebhookDto> {
    return this.webhooks.get(user.id, id);
  }

  @Patch(':id')
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookDto })
  @ApiBadRequestResponse({ description: 'Bad URL, refused address, unknown event, or unknown fields' })
  @ApiNotFoundResponse({ description: 'No such endpoint of the caller' })
  update(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number, @Body() dto: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(user.id, id, dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted, with its delivery log' })
  @ApiNotFoundResponse({ description: 'No such endpoint of the caller' })
  remove(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number): Promise<void> {
    return this.webhooks.remove(user.id, id);
  }

  @Post(':id/secret')
  @HttpCode(HttpStatus.OK)
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: WebhookWithSecretDto, description: 'A new secret; for 24 h deliveries are signed by the old one too' })
  @ApiNotFoundResponse({ description: 'No such endpoint of the caller' })
  rotateSecret(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number): Promise<WebhookWithSecretDto> {
    return this.webhooks.rotateSecret(user.id, id);
  }
}
