import type { components } from '../../clients/typescript/schema.js';

/**
 * Response bodies as the wire carries them (dates are strings), from the committed OpenAPI
 * types. supertest types every body `any`; `bodyOf<T>(res)` says what a test expects, so the
 * rest of the test is type-checked instead of trusting `any`.
 */
type Schemas = components['schemas'];
export type UserBody = Schemas['UserResponse'];
export type PublicUserBody = Schemas['PublicUserResponse'];
export type SessionBody = Schemas['SessionResponse'];
export type StreamBody = Schemas['StreamDto'];
export type StreamPageBody = Schemas['StreamPageDto'];
export type WebhookBody = Schemas['WebhookDto'];
export type WebhookWithSecretBody = Schemas['WebhookWithSecretDto'];
export type WebhookListBody = Schemas['WebhookListDto'];
export type DeliveryBody = Schemas['DeliveryDto'];
export type DeliveryPageBody = Schemas['DeliveryPageDto'];

/** Nest's error shape; ingest refusals add `reason`. */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
  reason?: string;
}

export function bodyOf<T>(res: { body: unknown }): T {
  return res.body as T;
}

/** The ValidationPipe's 400: one message per broken constraint. */
export type ValidationErrorBody = ErrorBody & { message: string[] };

/** Terminus' readiness and liveness answers. */
export interface HealthBody {
  status: string;
  info: Record<string, { status: string }>;
  error: Record<string, { status: string }>;
}
