import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The Swagger UI files served under /docs (a fixed list: no path from the request reaches the file system). */
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// No inline script, so helmet's default Content-Security-Policy (script-src 'self') holds for the UI too.
const UI_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Streamly API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/swagger-ui-init.js"></script>
</body>
</html>
`;

const UI_INIT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/docs-json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

/** One path's operations in an OpenAPI document. */
export type PathItem = OpenAPIObject['paths'][string];

/** A route served by Fastify directly (no Nest controller to read decorators from), with its OpenAPI entry. */
export interface DocumentedRoute {
  /** OpenAPI path, `{param}` style. */
  path: string;
  /** The entry, or a function of the document the controllers make (to reuse what a decorator wrote there). */
  item: PathItem | ((document: OpenAPIObject) => PathItem);
  /** DTO classes its entry refers to (`#/components/schemas/<name>`). */
  models: Array<new (...args: never[]) => unknown>;
}

/**
 * The OpenAPI document of an app built from AppModule: served at /docs-json, and written by
 * `npm run openapi` (src/openapi.cli.ts). `routes`: the plain Fastify routes, added to what
 * the controllers describe.
 */
export function createApiDocument(app: INestApplication, routes: readonly DocumentedRoute[]): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Streamly API')
    .setDescription('Accounts, stream keys and the RTMP ingest bridge. REST routes live under /api/v1.')
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Relative: the document describes whichever host serves it.
    .addServer('/', 'This server')
    .addTag('users', 'Sign-up, profiles and the caller’s account')
    .addTag('auth', 'Log in, refresh and log out: access and refresh tokens')
    .addTag('streams', 'The caller’s streams and their stream keys')
    .addTag('ingest', 'Hooks for RTMP ingest servers, behind the ingest secret')
    .addTag('webhooks', 'Signed notifications of the caller’s stream changes, and their delivery log')
    .addTag('Health', 'Probes for orchestrators and load balancers') // Terminus tags its routes `Health`
    .addTag('probes', 'Prometheus metrics')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: routes.flatMap((route) => route.models) });
  for (const route of routes) document.paths[route.path] = typeof route.item === 'function' ? route.item(document) : route.item;
  return document;
}

/**
 * OpenAPI document at /docs-json and Swagger UI at /docs (root, not under /api/v1),
 * generated from the controllers' and DTOs' decorators. @nestjs/swagger serves its UI
 * files on Fastify only through @fastify/static, which this project does not install,
 * so the few UI files are served here from swagger-ui-dist (a dependency of @nestjs/swagger).
 */
export function setupApiDocs(app: NestFastifyApplication, routes: readonly DocumentedRoute[]): void {
  // Built on first request, when every controller is registered.
  SwaggerModule.setup('docs', app, () => createApiDocument(app, routes), {
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: 'docs-json',
  });

  const swaggerRequire = createRequire(import.meta.resolve('@nestjs/swagger'));
  const assetsDir = (swaggerRequire('swagger-ui-dist/absolute-path.js') as () => string)();
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(UI_HTML));
  fastify.get('/docs/swagger-ui-init.js', (_request, reply) => reply.type('application/javascript; charset=utf-8').send(UI_INIT));
  for (const [file, type] of Object.entries(UI_ASSETS)) {
    let content: Buffer | undefined; // read on first use: most instances never serve the UI
    fastify.get(`/docs/${file}`, (_request, reply) => {
      content ??= readFileSync(join(assetsDir, file));
      return reply.type(type).header('Cache-Control', 'public, max-age=86400').send(content);
    });
  }
}
