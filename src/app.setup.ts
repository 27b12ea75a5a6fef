import { RequestMethod } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { ResolvedConfig } from './config/app-config.js';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The HTTP server settings, shared by main.ts and the test harness. */
export function createFastifyAdapter(config: ResolvedConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify accepts a hop count too; its adapter typing does not say so.
    trustProxy: config.trustProxy as boolean | string[],
    // Slow clients must not pin sockets forever.
    requestTimeout: 30_000,
    // Fastify's router rejects a malformed URL (400) or an over-long parameter (414)
    // before Nest sees the request, in Fastify's own error shape; answer in Nest's.
    // (Replaces the adapter's handler, which only adds the headers of Nest's built-in
    // security hook; this app does not enable it.)
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const statusCode = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      void reply.code(statusCode).send({ statusCode, message: error.message, error: STATUS_CODES[statusCode] });
    },
  });
}

/** App-level settings that cannot be expressed as module providers. */
export function configureApp(app: NestFastifyApplication, _config: ResolvedConfig): NestFastifyApplication {
  // Probes, metrics and docs live at the root; the REST API under /api/v1.
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
    ],
  });
  return app;
}
