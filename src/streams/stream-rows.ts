import type { StreamStatus } from './stream.entity.js';

/** Rows StreamsRepository returns besides the `Stream` shape. */

/** Keyset position in the newest-first list; `createdAt` null for rows of older services without one. */
export interface StreamPosition {
  createdAt: string | null;
  id: number;
}

/** What decides whether a key may publish. */
export interface KeyState {
  /** The status as a client sees it. */
  status: StreamStatus;
}

/** The ingest key lookup's row. */
export interface KeyLookupRow extends KeyState {
  streamId: number;
  userId: number;
  username: string;
  expiresAt: Date;
  /** When this stream is not live: how many of its owner's streams are (for the live limit); else 0. */
  othersLive: number;
}

/** A stream row locked for a publish decision. */
export interface LockedByKey extends KeyState {
  id: number;
  userId: number;
}

/** A stream row locked for a live-status change. */
export interface LockedStream extends KeyState {
  id: number;
  reconnectWindowSeconds: number;
}

/** Per-stream live settings as the owner sets them (null: leave / use the default). */
export interface LiveSettings {
  reconnectWindowSeconds: number | null;
  maxContinuousSeconds: number | null;
}

/** A new stream's settings, defaults filled in. */
export interface NewStreamSettings {
  expiresInSeconds: number;
  reconnectWindowSeconds: number;
  maxContinuousSeconds: number;
}
