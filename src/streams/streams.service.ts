import { BadRequestException, Inject, Injectable, NotFoundException, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { ResolvedConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { Sweeper } from '../database/sweeper.service.js';
import { primaryPool } from '../database/sql.js';
import { MAX_EXPIRES_IN_SECONDS, MIN_EXPIRES_IN_SECONDS, type CreateStreamDto } from './dto/create-stream.dto.js';
import type { ListStreamsQueryDto } from './dto/list-streams-query.dto.js';
import type { StreamDto, StreamPageDto } from './dto/stream.dto.js';
import type { UpdateStreamDto } from './dto/update-stream.dto.js';
import { decodeCursor, encodeCursor } from './stream-cursor.js';
import { withFreshKey } from './stream-key.js';

/**
 * The `Stream` shape straight from SQL. `status` is what the owner sees: a
 * stream past `expires_at` is `expired` even before the sweep rewrites its row.
 */
const STREAM_COLUMNS = `
  id, user_id AS "userId", stream_key AS "streamKey",
  CASE WHEN expires_at <= now() THEN 'expired' ELSE status END AS status,
  created_at AS "createdAt", updated_at AS "updatedAt", expires_at AS "expiresAt"`;

/** The status filter, on the status the owner sees (same rule as STREAM_COLUMNS). */
const STATUS_FILTER = {
  active: `status = 'active' AND expires_at > now()`,
  live: `status = 'live' AND expires_at > now()`,
  disabled: `status = 'disabled' AND expires_at > now()`,
  expired: `(status = 'expired' OR expires_at <= now())`,
} as const;

const DEFAULT_PAGE_SIZE = 20;

/**
 * Owner-facing streams. Every statement names the owner (`user_id = $me`), so
 * another user's stream is indistinguishable from a missing one: 404, never listed.
 */
@Injectable()
export class StreamsService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
    private readonly sweeper: Sweeper,
  ) {}

  /**
   * Expiry is enforced on every read and lookup already; the sweep only keeps the
   * stored status honest.
   */
  onModuleInit(): void {
    this.sweeper.register('expired streams', (size) => this.expireBatch(size));
  }

  /** Walks only the partial index of rows not yet marked (idx_streams_expires_at, partial since migration 1700000002000). */
  private async expireBatch(size: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE streams SET status = 'expired', updated_at = now()
       WHERE id IN (
         SELECT id FROM streams
         WHERE status <> 'expired' AND expires_at <= now()
         ORDER BY expires_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )`,
      [size],
    );
    return rowCount ?? 0;
  }

  private get db(): pg.Pool {
    return primaryPool(this.dataSource);
  }

  async create(me: string, dto: CreateStreamDto): Promise<StreamDto> {
    const seconds = dto.expiresInSeconds ?? this.config.streamDefaultTtlSeconds;
    // INSERT ... SELECT FROM users: a token whose user was deleted meanwhile gets a 401, not a foreign-key error.
    const { rows } = await withFreshKey((key) =>
      this.db.query<StreamDto>(
        `INSERT INTO streams (user_id, stream_key, expires_at)
         SELECT id, $2, now() + make_interval(secs => $3) FROM users WHERE id = $1
         RETURNING ${STREAM_COLUMNS}`,
        [me, key, seconds],
      ),
    );
    if (rows.length === 0) throw new UnauthorizedException('missing or invalid access token');
    return rows[0];
  }

  /** Newest first, keyset-paged on (created_at, id): rows inserted meanwhile never shift a page. */
  async list(me: string, query: ListStreamsQueryDto): Promise<StreamPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const params: unknown[] = [me, limit + 1];
    const conditions = ['user_id = $1'];
    if (query.status) conditions.push(STATUS_FILTER[query.status]);
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      params.push(cursor.createdAt, cursor.id);
      conditions.push(`(created_at, id) < ($3::timestamptz, $4::uuid)`);
    }
    const { rows } = await this.db.query<StreamDto & { position: string }>(
      `SELECT ${STREAM_COLUMNS},
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
       FROM streams WHERE ${conditions.join(' AND ')}
       ORDER BY created_at DESC, id DESC
       LIMIT $2`,
      params,
    );
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(({ position: _position, ...stream }) => stream),
      nextCursor: hasMore && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
    };
  }

  async get(me: string, id: string): Promise<StreamDto> {
    const { rows } = await this.db.query<StreamDto>(`SELECT ${STREAM_COLUMNS} FROM streams WHERE id = $1 AND user_id = $2`, [id, me]);
    return found(rows);
  }

  /**
   * `active` re-enables (a stream that is publishing stays `live`); a new
   * `expiresAt` renews a stream the sweep already marked `expired`.
   */
  async update(me: string, id: string, dto: UpdateStreamDto): Promise<StreamDto> {
    if (dto.status === undefined && dto.expiresAt === undefined) return this.get(me, id);
    const expiresAt = dto.expiresAt === undefined ? null : validExpiry(dto.expiresAt);
    const { rows } = await this.db.query<StreamDto>(
      `UPDATE streams SET
         status = CASE
           WHEN $3::text = 'disabled' THEN 'disabled'
           WHEN $3::text = 'active' THEN CASE WHEN status = 'live' THEN 'live' ELSE 'active' END
           WHEN $4::timestamptz IS NOT NULL AND status = 'expired' THEN 'active'
           ELSE status
         END,
         expires_at = COALESCE($4::timestamptz, expires_at),
         updated_at = now()
       WHERE id = $1 AND user_id = $2
       RETURNING ${STREAM_COLUMNS}`,
      [id, me, dto.status ?? null, expiresAt],
    );
    return found(rows);
  }

  /** A new key at once: the ingest lookup of the old one finds nothing from this commit on. */
  async rotateKey(me: string, id: string): Promise<StreamDto> {
    const { rows } = await withFreshKey((key) =>
      this.db.query<StreamDto>(
        `UPDATE streams SET stream_key = $3, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING ${STREAM_COLUMNS}`,
        [id, me, key],
      ),
    );
    return found(rows);
  }

  async remove(me: string, id: string): Promise<void> {
    const { rowCount } = await this.db.query(`DELETE FROM streams WHERE id = $1 AND user_id = $2`, [id, me]);
    if (!rowCount) throw notFound();
  }
}

function found(rows: StreamDto[]): StreamDto {
  if (rows.length === 0) throw notFound();
  return rows[0];
}

export function notFound(): NotFoundException {
  return new NotFoundException('stream not found');
}

/** The same window as `expiresInSeconds` on creation, measured from now. */
function validExpiry(value: string): Date {
  const expiresAt = new Date(value);
  const seconds = (expiresAt.getTime() - Date.now()) / 1000;
  if (Number.isNaN(seconds) || seconds < MIN_EXPIRES_IN_SECONDS || seconds > MAX_EXPIRES_IN_SECONDS) {
    throw new BadRequestException([
      `expiresAt must be between ${MIN_EXPIRES_IN_SECONDS} seconds and ${MAX_EXPIRES_IN_SECONDS} seconds from now`,
    ]);
  }
  return expiresAt;
}
