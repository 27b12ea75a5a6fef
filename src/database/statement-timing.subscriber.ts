import { EventSubscriber, type AfterQueryEvent, type BeforeQueryEvent, type EntitySubscriberInterface, type QueryRunner } from 'typeorm';
import { statementNameOf, statementObserver } from './statement-timing.js';

// Start times per query runner, oldest first: one connection answers its queries in order.
const started = new WeakMap<QueryRunner, number[]>();

/**
 * Times every statement TypeORM sends (repositories, query builders, `query()`,
 * transaction control) into `streamly_db_statement_duration_seconds`, named by a
 * leading `/* name *\/` comment from the allow-list, else `other`. Its own clock:
 * TypeORM's `executionTime` has 1 ms resolution and is missing for failures.
 */
@EventSubscriber()
export class StatementTimingSubscriber implements EntitySubscriberInterface {
  beforeQuery(event: BeforeQueryEvent): void {
    if (!event.queryRunner || !statementObserver(event.dataSource)) return;
    const queue = started.get(event.queryRunner);
    if (queue) queue.push(performance.now());
    else started.set(event.queryRunner, [performance.now()]);
  }

  afterQuery(event: AfterQueryEvent): void {
    const start = event.queryRunner ? started.get(event.queryRunner)?.shift() : undefined;
    if (start === undefined) return;
    statementObserver(event.dataSource)?.(statementNameOf(event.query), (performance.now() - start) / 1000);
  }
}
