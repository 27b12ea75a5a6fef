import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Post,
  Query,
  UseGuards,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { JwtAuthGuard } from '../common/jwt-auth.guard.js';
import { DeliveryPageDto, ListDeliveriesQueryDto } from './dto/delivery.dto.js';
import { WEBHOOK_ID_PARAM, WebhookId } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Delivery ids are BIGSERIAL: any positive integer JSON can hold exactly; anything else names nothing (404). */
export const DeliveryId = createParamDecorator((_: unknown, context: ExecutionContext): number => {
  const value = context.switchToHttp().getRequest<{ params: Record<string, string> }>().params.deliveryId;
  const id = /^[1-9][0-9]{0,15}$/.test(value ?? '') ? Number(value) : NaN;
  if (!Number.isSafeInteger(id)) throw new NotFoundException('delivery not found');
  return id;
});

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or tampered access token' })
@UseGuards(JwtAuthGuard)
@Controller('webhooks/:id/deliveries')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiOkResponse({ type: DeliveryPageDto, description: 'The endpoint’s deliveries, newest first' })
  @ApiBadRequestResponse({ description: 'Bad limit or cursor' })
  @ApiNotFoundResponse({ description: 'No such endpoint of the caller' })
  list(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number, @Query() query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    return this.webhooks.listDeliveries(user.id, id, query);
  }

  @Post(':deliveryId/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiParam(WEBHOOK_ID_PARAM)
  @ApiParam({ name: 'deliveryId', schema: { type: 'integer', minimum: 1 } })
  @ApiAcceptedResponse({ description: 'The event is sent again now (with a new retry window)' })
  @ApiNotFoundResponse({ description: 'No such delivery of the caller’s endpoint' })
  retry(@CurrentUser() user: AuthenticatedUser, @WebhookId() id: number, @DeliveryId() deliveryId: number): Promise<void> {
    return this.webhooks.retry(user.id, id, deliveryId);
  }
}
