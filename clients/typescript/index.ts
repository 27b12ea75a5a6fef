import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';
/** Request and response bodies by name, e.g. `Schemas['StreamDto']`. */
export type Schemas = components['schemas'];
export type StreamlyClient = Client<paths>;

export interface StreamlyClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Sent as `Authorization: Bearer …` on every request; a function is asked each time (tokens expire). */
  accessToken?: string | (() => string | undefined | Promise<string | undefined>);
}

/**
 * The Streamly REST API, typed from the OpenAPI document the server serves at /docs-json.
 * `baseUrl` is the server's origin: paths carry their /api/v1 prefix, e.g.
 * `client.POST('/api/v1/streams', { body: { title: 'Live' } })`. Every call resolves to
 * `{ data }` on 2xx or `{ error }` (Nest's error body) otherwise; it throws only when the
 * server cannot be reached.
 */
export function createStreamlyClient(baseUrl: string, options: StreamlyClientOptions = {}): StreamlyClient {
  const { accessToken, ...clientOptions } = options;
  const client = createClient<paths>({ ...clientOptions, baseUrl });
  if (accessToken !== undefined) client.use(bearer(accessToken));
  return client;
}

function bearer(accessToken: NonNullable<StreamlyClientOptions['accessToken']>): Middleware {
  return {
    async onRequest({ request }) {
      const token = typeof accessToken === 'function' ? await accessToken() : accessToken;
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
}
