import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query, UseGuards } from '@nestjs/common';
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
import { CreateStreamDto } from './dto/create-stream.dto.js';
import { ListStreamsQueryDto } from './dto/list-streams-query.dto.js';
import { StreamDto, StreamPageDto } from './dto/stream.dto.js';
import { UpdateStreamDto } from './dto/update-stream.dto.js';
import { notFound, StreamsService } from './streams.service.js';
import { MAX_SERIAL_ID, SerialIdParam } from '../common/serial-id.decorator.js';

/** A malformed or out-of-range id names no stream: 404 like any other missing one (the contract has no 400 here). */
const StreamId = () => SerialIdParam({ name: 'id', invalid: notFound });

@ApiTags('streams')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or tampered access token' })
@UseGuards(JwtAuthGuard)
@Controller('streams')
export class StreamsController {
  constructor(private readonly streams: StreamsService) {}

  @Post()
  @ApiCreatedResponse({ type: StreamDto })
  @ApiBadRequestResponse({
    description: 'expiresInSeconds, reconnectWindowSeconds or maxContinuousSeconds out of range, or unknown fields',
  })
  @ApiForbiddenResponse({ description: '`{reason: "stream_limit"}`: the caller already has MAX_STREAMS_PER_USER streams' })
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateStreamDto): Promise<StreamDto> {
    return this.streams.create(user.id, dto);
  }

  @Get()
  @ApiOkResponse({ type: StreamPageDto, description: 'The caller’s streams, newest first' })
  @ApiBadRequestResponse({ description: 'Bad status, limit or cursor' })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListStreamsQueryDto): Promise<StreamPageDto> {
    return this.streams.list(user.id, query);
  }

  @Get(':id')
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: MAX_SERIAL_ID } })
  @ApiOkResponse({ type: StreamDto })
  @ApiNotFoundResponse({ description: 'No such stream of the caller' })
  get(@CurrentUser() user: AuthenticatedUser, @StreamId() id: number): Promise<StreamDto> {
    return this.streams.get(user.id, id);
  }

  @Patch(':id')
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: MAX_SERIAL_ID } })
  @ApiOkResponse({ type: StreamDto })
  @ApiBadRequestResponse({ description: 'Status other than active/disabled, or expiresAt not 60 s … 365 days ahead' })
  @ApiNotFoundResponse({ description: 'No such stream of the caller' })
  update(@CurrentUser() user: AuthenticatedUser, @StreamId() id: number, @Body() dto: UpdateStreamDto): Promise<StreamDto> {
    return this.streams.update(user.id, id, dto);
  }

  @Post(':id/key')
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: MAX_SERIAL_ID } })
  @ApiOkResponse({ type: StreamDto, description: 'The stream with a new streamKey; the old key is refused from now on' })
  @ApiNotFoundResponse({ description: 'No such stream of the caller' })
  rotateKey(@CurrentUser() user: AuthenticatedUser, @StreamId() id: number): Promise<StreamDto> {
    return this.streams.rotateKey(user.id, id);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'id', schema: { type: 'integer', minimum: 1, maximum: MAX_SERIAL_ID } })
  @ApiNoContentResponse({ description: 'Deleted, with its publish sessions' })
  @ApiNotFoundResponse({ description: 'No such stream of the caller' })
  remove(@CurrentUser() user: AuthenticatedUser, @StreamId() id: number): Promise<void> {
    return this.streams.remove(user.id, id);
  }
}
