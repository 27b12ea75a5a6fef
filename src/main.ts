import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureApp, createFastifyAdapter } from './app.setup.js';
import { resolveConfig } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';
import { ShutdownState } from './health/shutdown-state.js';
import { installLogger } from './logging/logging.options.js';

const logger = new Logger('Bootstrap');

async function main(): Promise<void> {
  // Configuration first (it starts nothing), then JSON logs from the first line on.
  const parsed = loadConfig();
  installLogger({ logLevel: parsed.logLevel, nodeEnv: parsed.nodeEnv });
  // Filled in as startup proceeds; the shutdown handler reads whatever exists by then.
  const started: { app?: NestFastifyApplication; embedded?: EmbeddedDatabase } = {};
  // Signals are handled from here on, so a Ctrl-C during startup still stops the embedded
  // database (one still starting is stopped by its own exit hook when we exit).
  installShutdown(
    () => started.app,
    () => started.embedded,
    parsed.shutdownDrainMs,
  );
  const resolved = await resolveConfig(parsed);
  const { config } = resolved;
  started.embedded = resolved.embedded;

  // Nest's Logger already writes through pino (installLogger), so nothing needs buffering:
  // database retry warnings during startup appear as they happen.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    abortOnError: false, // let main() log one clear line and exit 1
  });
  started.app = app;
  app.useLogger(app.get(PinoNestLogger));
  configureApp(app, config);
  await app.listen({ port: config.port, host: config.host });
  logger.log(`Streamly API listening on http://${config.host}:${config.port}`);
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once, the server keeps serving for the
 * drain delay (so load balancers stop sending), then stops accepting, lets
 * in-flight requests finish, closes the pool, stops the embedded database and
 * exits 0. A second signal forces exit.
 */
function installShutdown(
  getApp: () => NestFastifyApplication | undefined,
  getEmbedded: () => EmbeddedDatabase | undefined,
  drainMs: number,
) {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal} received: readiness is now 503; serving for ${drainMs} ms more, then draining`);
    try {
      const app = getApp();
      if (app) {
        app.get(ShutdownState).begin();
        if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
        logger.log('Drain delay over: no new connections; waiting for in-flight requests');
        // Fastify stops accepting, answers requests that still arrive on kept-alive
        // connections with 503, waits for in-flight ones; then TypeORM closes the pool.
        await app.close();
      }
      await getEmbedded()?.stop();
      logger.log('Shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error(`Shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // The configuration never parsed, so no logger was installed from it: report at the default level.
    installLogger({ logLevel: 'info', nodeEnv: process.env.NODE_ENV ?? 'development' });
    logger.error(error.message);
  } else {
    logger.error(`Startup failed: ${(error as Error)?.message ?? String(error)}`);
  }
  // A failed start must exit non-zero; also stops an embedded database via its exit hook.
  process.exit(1);
});
