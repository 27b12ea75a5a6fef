import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { databaseOptions, type DatabaseSchema } from './database.options.js';

/**
 * Applies every migration to a scratch database and asks TypeORM what it would
 * still change to match the entities. Returns those statements: empty means the
 * migrations and the entities agree.
 */
export async function pendingSchemaChanges(serverUrl: string, schema: DatabaseSchema): Promise<string[]> {
  const name = `migration_check_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataSource = new DataSource(
    databaseOptions(
      { databaseUrl: url.toString(), replicaUrls: [], dbPoolMax: 2, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 60_000 },
      schema,
    ),
  );
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const currentTimestampDefaults = await columnsDefaultingToCurrentTimestamp(dataSource);
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return withoutFalsePositives(
      dataSource,
      currentTimestampDefaults,
      sql.upQueries.map((query) => query.query),
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/**
 * TypeORM 1 reads the original `DEFAULT CURRENT_TIMESTAMP` back as written but
 * normalises the entity's to `now()`, so it "changes" the default to what it already
 * is, and drops the indexes on that column as a side effect of the change. Both are
 * left out: the defaults are the same function, and indexes the entities declare
 * with `synchronize: false` are never dropped by TypeORM on their own account.
 */
function withoutFalsePositives(dataSource: DataSource, currentTimestampDefaults: Set<string>, statements: string[]): string[] {
  const unsynchronisedIndexes = new Set(
    dataSource.entityMetadatas.flatMap((entity) =>
      entity.indices.filter((index) => index.synchronize === false).map((index) => index.name),
    ),
  );
  return statements.filter((statement) => {
    const sameDefault = /^ALTER TABLE "(\w+)" ALTER COLUMN "(\w+)" SET DEFAULT now\(\)$/.exec(statement);
    if (sameDefault && currentTimestampDefaults.has(`${sameDefault[1]}.${sameDefault[2]}`)) return false;
    const droppedIndex = /^DROP INDEX "\w+"\."(\w+)"$/.exec(statement);
    return !(droppedIndex && unsynchronisedIndexes.has(droppedIndex[1]));
  });
}

async function columnsDefaultingToCurrentTimestamp(dataSource: DataSource): Promise<Set<string>> {
  const rows = await dataSource.query<{ name: string }[]>(
    `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
     WHERE table_schema = current_schema() AND column_default = 'CURRENT_TIMESTAMP'`,
  );
  return new Set(rows.map((row) => row.name));
}
