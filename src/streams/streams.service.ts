import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sweeper } from '../database/sweeper.service.js';
import { MAX_EXPIRES_IN_SECONDS, MIN_EXPIRES_IN_SECONDS, type CreateStreamDto } from './dto/create-stream.dto.js';
import type { ListStreamsQueryDto } from './dto/list-streams-query.dto.js';
import { MAX_CONTINUOUS, RECONNECT_WINDOW } from './dto/live-settings.js';
import type { StreamDto, StreamPageDto } from './dto/stream.dto.js';
import type { UpdateStreamDto } from './dto/update-stream.dto.js';
import { decodeCursor, encodeCursor } from './stream-cursor.js';
import { withFreshKey } from './stream-key.js';
import { StreamEventsRepository } from './stream-events.repository.js';
import { StreamsRepository } from './streams.repository.js';

const DEFAULT_PAGE_SIZE = 20;

/** Owner-facing streams: another user's stream is a 404, exactly like a missing one. */
@Injectable()
export class StreamsService implements OnModuleInit {
  constructor(
    private readonly streams: StreamsRepository,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
    private readonly streamEvents: StreamEventsRepository,
  ) {}

  /** Expiry is enforced on every read and lookup already; the sweep only keeps the stored status honest. */
  onModuleInit(): void {
    this.sweeper.register('expired streams', (size) => this.streams.expireBatch(size));
    this.sweeper.register('dispatched stream events', (size) => this.streamEvents.pruneDispatched(size));
  }

  async create(me: number, dto: CreateStreamDto): Promise<StreamDto> {
    const settings = {
      expiresInSeconds: dto.expiresInSeconds ?? this.config.streamDefaultTtlSeconds,
      reconnectWindowSeconds: dto.reconnectWindowSeconds ?? RECONNECT_WINDOW.default,
      maxContinuousSeconds: dto.maxContinuousSeconds ?? MAX_CONTINUOUS.default,
    };
    const stream = await withFreshKey((key) => this.streams.create(me, key, settings, this.config.maxStreamsPerUser));
    if (stream === 'limit') {
      throw new ForbiddenException({
        statusCode: 403,
        message: `at most ${this.config.maxStreamsPerUser} streams per user`,
        error: 'Forbidden',
        reason: 'stream_limit',
      });
    }
    if (!stream) throw new UnauthorizedException('missing or invalid access token');
    return stream;
  }

  async list(me: number, query: ListStreamsQueryDto): Promise<StreamPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.streams.list(me, query.status, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(({ position: _position, ...stream }) => stream),
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
    };
  }

  async get(me: number, id: number): Promise<StreamDto> {
    return found(await this.streams.get(me, id));
  }

  async update(me: number, id: number, dto: UpdateStreamDto): Promise<StreamDto> {
    const live = { reconnectWindowSeconds: dto.reconnectWindowSeconds ?? null, maxContinuousSeconds: dto.maxContinuousSeconds ?? null };
    if (
      dto.status === undefined &&
      dto.expiresAt === undefined &&
      live.reconnectWindowSeconds === null &&
      live.maxContinuousSeconds === null
    ) {
      return this.get(me, id);
    }
    const expiresAt = dto.expiresAt === undefined ? null : validExpiry(dto.expiresAt);
    return found(await this.streams.update(me, id, dto.status ?? null, expiresAt, live));
  }

  async rotateKey(me: number, id: number): Promise<StreamDto> {
    return found(await withFreshKey((key) => this.streams.rotateKey(me, id, key)));
  }

  async remove(me: number, id: number): Promise<void> {
    if (!(await this.streams.remove(me, id))) throw notFound();
  }
}

function found(stream: StreamDto | null): StreamDto {
  if (!stream) throw notFound();
  return stream;
}

export function notFound(): NotFoundException {
  return new NotFoundException('stream not found');
}

/** The same window as `expiresInSeconds` on creation, measured from now; returned as ISO-8601 UTC. */
function validExpiry(value: string): string {
  const expiresAt = new Date(value);
  const seconds = (expiresAt.getTime() - Date.now()) / 1000;
  if (Number.isNaN(seconds) || seconds < MIN_EXPIRES_IN_SECONDS || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw new BadRequestException([
      `expiresAt must be between ${MIN_EXPIRES_IN_SECONDS} seconds and ${MAX_EXPIRES_IN_SECONDS} seconds from now`,
    ]);
  }
  return expiresAt.toISOString();
}
