import { Reflector } from '@nestjs/core';

import type { IngestOutcome } from '../metrics/metrics.service.js';

/** What an ingest call was answered (one per call), as the metric labels it. */
export type { IngestOutcome };

/** Which way in the call came: the plain lookup or one server protocol. */
export const INGEST_ADAPTERS = ['keys', 'nginx', 'mediamtx', 'srs'] as const;
export type IngestAdapterName = (typeof INGEST_ADAPTERS)[number];

/** Names the adapter of an ingest controller, so the secret guard can count its refusals too. */
export const IngestAdapter = Reflector.createDecorator<IngestAdapterName>();

/** Outcomes that let the publisher go on (`grace`: from memory during a database outage). */
export function allows(outcome: IngestOutcome): outcome is 'allowed' | 'grace' {
  return outcome === 'allowed' || outcome === 'grace';
}

export type IngestRefusal = Exclude<IngestOutcome, 'allowed' | 'grace'>;

/** Refused outcomes, as the `reason` of a 403 and a message. */
export const REFUSAL_MESSAGES: Record<IngestRefusal, string> = {
  unknown: 'unknown stream key',
  disabled: 'stream is disabled',
  expired: 'stream has expired',
  unauthorized: 'missing or invalid ingest secret',
  live_limit: 'the owner already has MAX_LIVE_STREAMS_PER_USER live streams',
  max_duration: 'the live period ran longer than maxContinuousSeconds',
};
