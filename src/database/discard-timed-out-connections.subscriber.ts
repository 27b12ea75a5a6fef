import type { PoolClient } from 'pg';
import { EventSubscriber, type AfterQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import { isClientQueryTimeout } from './database-errors.js';

/**
 * pg's client-side `query_timeout` rejects the query but keeps the connection, with
 * the unanswered query still in flight on it: given back to the pool as is, the next
 * request queues behind it and hangs too. Ending the client here makes pg destroy
 * the socket (it has an active query) and makes pg-pool drop the client when TypeORM
 * releases it (an `_ending` client is removed, not reused). The pool then opens a
 * fresh connection once the server answers again.
 *
 * A TypeORM subscriber because it sees every failed query, with its query runner,
 * whichever repository, query builder or raw query ran it.
 */
@EventSubscriber()
export class DiscardTimedOutConnectionsSubscriber implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent): void {
    if (event.success || !isClientQueryTimeout(event.error)) return;
    const client = (event.queryRunner as { databaseConnection?: PoolClient } | undefined)?.databaseConnection;
    void client?.end().catch(() => undefined);
  }
}
