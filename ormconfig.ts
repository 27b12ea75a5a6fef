import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { APP_SCHEMA } from './src/app.schema.js';
import { resolveDatabase } from './src/bootstrap.js';
import { loadConfig } from './src/config/app-config.js';
import { databaseOptions } from './src/database/database.options.js';
import { installLogger } from './src/logging/logging.options.js';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:run` and friends): the
 * same options object as the app. With DATABASE_URL unset it starts the same
 * embedded PostgreSQL as `npm start` (./.data/postgres), stopped when the CLI exits.
 */
// Migrations need the database only: no JWT or ingest secret is read or required.
const parsed = loadConfig(process.env, { secrets: false });
// The same JSON logs as the app (the embedded PostgreSQL's own chatter stays at debug).
installLogger({ logLevel: parsed.logLevel, nodeEnv: parsed.nodeEnv });
const { databaseUrl } = await resolveDatabase(parsed);

export default new DataSource(databaseOptions({ ...parsed, databaseUrl }, APP_SCHEMA));
