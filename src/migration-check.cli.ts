import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { APP_SCHEMA } from './app.schema.js';
import { loadConfig } from './config/app-config.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { pendingSchemaChanges } from './database/migration-check.js';

/** `npm run migration:check`: exits 1 and prints the SQL when entities and migrations disagree. */
async function main(): Promise<void> {
  const logger = new Logger('MigrationCheck');
  const config = loadConfig(process.env, { secrets: false });
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: `${config.dataDir}/migration-check-${process.pid}`, persistent: false });
  try {
    const changes = await pendingSchemaChanges(config.databaseUrl ?? embedded!.url, APP_SCHEMA);
    if (changes.length > 0) {
      logger.error(`Entities and migrations disagree; a new migration needs:\n${changes.join(';\n')};`);
      process.exitCode = 1;
    } else {
      logger.log('Entities and migrations agree.');
    }
  } finally {
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  new Logger('MigrationCheck').error((error as Error).stack ?? String(error));
  process.exit(1);
});
