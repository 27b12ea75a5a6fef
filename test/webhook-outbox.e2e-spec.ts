import { Sweeper } from '../src/database/sweeper.service.js';
import { Sql } from '../src/database/sql.js';
import { StreamEventsRepository } from '../src/streams/stream-events.repository.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { query } from './helpers/database.js';
import { waitFor } from './helpers/http.js';
import { aUser as createUser, type BuiltUser as TestUser } from './helpers/builders.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';
import { bodyOf, type StreamBody } from './helpers/bodies.js';

/**
 * The outbox: every change to a stream records its event in the same transaction,
 * and a transaction that fails leaves neither. Failures are injected in PostgreSQL
 * itself (triggers), so the app's real statements and transactions are what is tested.
 */
describe('stream events are recorded with their change, atomically', () => {
  let t: TestApp;
  let owner: TestUser;
  const receiver = new WebhookReceiver();
  const db = (sql: string, params: unknown[] = []) => query(t.config.databaseUrl, sql, params);
  const eventsOf = async (streamId: number) =>
    (await db(`SELECT id, type, user_id AS "userId", stream FROM stream_events WHERE stream_id = $1 ORDER BY seq`, [streamId]))
      .rows as Array<{
      id: string;
      type: string;
      userId: number | null;
      stream: Record<string, unknown>;
    }>;
  const typesOf = async (streamId: number) => (await eventsOf(streamId)).map((event) => event.type);
  const newStream = async (user = owner) =>
    (await t.http().post('/api/v1/streams').set(user.auth).send({}).expect(201)).body as { id: number; streamKey: string };
  const patch = (id: number, body: Record<string, unknown>, user = owner) =>
    t.http().patch(`/api/v1/streams/${id}`).set(user.auth).send(body);

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    owner = await createUser(t);
    await t.http().post('/api/v1/webhooks').set(owner.auth).send({ url: receiver.url }).expect(201);
    // Failure injection: a statement that writes an event fails while `fail_events` is set;
    // a transaction that changed a listed stream or user fails at COMMIT.
    await db(`
      CREATE TABLE fail_events (on_off boolean);
      CREATE TABLE fail_commit (kind text, id integer);
      CREATE FUNCTION fail_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM fail_events) THEN RAISE EXCEPTION 'injected: event write fails'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER fail_event BEFORE INSERT ON stream_events FOR EACH ROW EXECUTE FUNCTION fail_event();
      CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM fail_commit WHERE kind = TG_TABLE_NAME AND id = COALESCE(NEW.id, OLD.id)) THEN
            RAISE EXCEPTION 'injected: commit fails after the change';
          END IF;
          RETURN NULL;
        END $$;
      CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT OR UPDATE OR DELETE ON streams DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();
      CREATE CONSTRAINT TRIGGER fail_commit AFTER DELETE ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();
    `);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });
  afterEach(async () => {
    await db(`DELETE FROM fail_events; DELETE FROM fail_commit`);
  });

  it('create, disable, enable, rotate, delete: one event each, only for real status changes, never with the key', async () => {
    const stream = await newStream();
    await patch(stream.id, { status: 'disabled' }).expect(200);
    await patch(stream.id, { status: 'disabled' }).expect(200); // no change: no event
    await patch(stream.id, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }).expect(200); // not a status change
    await patch(stream.id, { status: 'active' }).expect(200);
    await patch(stream.id, { status: 'active' }).expect(200);
    const rotated = bodyOf<StreamBody>(await t.http().post(`/api/v1/streams/${stream.id}/key`).set(owner.auth).expect(200));
    await t.http().delete(`/api/v1/streams/${stream.id}`).set(owner.auth).expect(204);

    const events = await eventsOf(stream.id);
    expect(events.map((e) => [e.type, e.stream.status])).toEqual([
      ['stream.created', 'active'],
      ['stream.disabled', 'disabled'],
      ['stream.enabled', 'active'],
      ['stream.key_rotated', 'active'],
      ['stream.deleted', 'active'],
    ]);
    for (const event of events) {
      expect(Object.keys(event.stream)).not.toContain('streamKey');
      expect(JSON.stringify(event)).not.toContain(stream.streamKey);
      expect(JSON.stringify(event)).not.toContain(rotated.streamKey);
      expect(event.userId).toBe(owner.id);
    }

    // Delivered: the payload's stream is what GET showed, minus the key.
    await waitFor(() => Promise.resolve(receiver.forStream(stream.id).length === 5), 10_000);
    const received = receiver.forStream(stream.id);
    expect(received.map((r) => r.body.type)).toEqual(events.map((e) => e.type));
    expect(received.map((r) => r.body.id)).toEqual(events.map((e) => e.id));
    const { streamKey: _key, ...shown } = rotated;
    expect(received[3].body.data.stream).toEqual(shown);
    for (const request of received) expect(request.rawBody).not.toMatch(/streamKey/);
  });

  it('the expiry sweep records stream.expired; a renewal after it is stream.enabled', async () => {
    const stream = await newStream();
    await db(`UPDATE streams SET expires_at = now() - interval '1 second' WHERE id = $1`, [stream.id]);
    await t.app.get(Sweeper).runOnce();
    await t.app.get(Sweeper).runOnce(); // marked once: no second event
    await patch(stream.id, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() }).expect(200);
    expect(await typesOf(stream.id)).toEqual(['stream.created', 'stream.expired', 'stream.enabled']);
  });

  it('account deletion records stream.deleted for each of its streams', async () => {
    const user = await createUser(t);
    const ids = [(await newStream(user)).id, (await newStream(user)).id, (await newStream(user)).id];
    await t.http().delete('/api/v1/users/me').set(user.auth).expect(204);
    for (const id of ids) expect(await typesOf(id)).toEqual(['stream.created', 'stream.deleted']);
    expect((await db(`SELECT count(*)::int AS n FROM streams WHERE user_id = $1`, [user.id])).rows[0].n).toBe(0);
  });

  describe('no change without its event: when the event cannot be written, the change does not happen', () => {
    beforeEach(async () => {
      await db(`INSERT INTO fail_events VALUES (true)`);
    });

    it('create, PATCH, rotate, delete, account deletion and the sweep all fail whole', async () => {
      await db(`DELETE FROM fail_events`);
      const stream = await newStream();
      const user = await createUser(t);
      const userStream = await newStream(user);
      await db(`INSERT INTO fail_events VALUES (true)`);
      const countBefore = (await db(`SELECT count(*)::int AS n FROM streams`)).rows[0].n;

      expect((await t.http().post('/api/v1/streams').set(owner.auth).send({})).status).toBe(500);
      expect((await patch(stream.id, { status: 'disabled' })).status).toBe(500);
      expect((await t.http().post(`/api/v1/streams/${stream.id}/key`).set(owner.auth)).status).toBe(500);
      expect((await t.http().delete(`/api/v1/streams/${stream.id}`).set(owner.auth)).status).toBe(500);
      expect((await t.http().delete('/api/v1/users/me').set(user.auth)).status).toBe(500);
      await db(`UPDATE streams SET expires_at = now() - interval '1 second' WHERE id = $1`, [userStream.id]);
      await t.app.get(Sweeper).runOnce();
      await db(`DELETE FROM fail_events`);

      expect((await db(`SELECT count(*)::int AS n FROM streams`)).rows[0].n).toBe(countBefore);
      const [row] = (await db(`SELECT status, stream_key FROM streams WHERE id = $1`, [stream.id])).rows;
      expect(row).toEqual({ status: 'active', stream_key: stream.streamKey });
      expect((await db(`SELECT status FROM streams WHERE id = $1`, [userStream.id])).rows[0].status).toBe('active');
      expect((await db(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [user.id])).rows[0].n).toBe(1);
      expect(await typesOf(stream.id)).toEqual(['stream.created']);
      expect(await typesOf(userStream.id)).toEqual(['stream.created']);
    });
  });

  it('no event without its change: a transaction that fails at COMMIT, after the change, leaves no event', async () => {
    const stream = await newStream();
    const user = await createUser(t);
    const userStream = await newStream(user);
    await db(`INSERT INTO fail_commit VALUES ('streams', $1), ('users', $2)`, [stream.id, user.id]);

    expect((await patch(stream.id, { status: 'disabled' })).status).toBe(500);
    expect((await t.http().post(`/api/v1/streams/${stream.id}/key`).set(owner.auth)).status).toBe(500);
    expect((await t.http().delete(`/api/v1/streams/${stream.id}`).set(owner.auth)).status).toBe(500);
    expect((await t.http().delete('/api/v1/users/me').set(user.auth)).status).toBe(500);

    expect(await typesOf(stream.id)).toEqual(['stream.created']);
    expect(await typesOf(userStream.id)).toEqual(['stream.created']);
    expect((await db(`SELECT count(*)::int AS n FROM streams WHERE id = ANY($1)`, [[stream.id, userStream.id]])).rows[0].n).toBe(2);
    await waitFor(() => Promise.resolve(receiver.forStream(stream.id).length === 1), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.forStream(stream.id).map((r) => r.body.type)).toEqual(['stream.created']);
  });

  it('StreamEventsRepository.record (for live periods) commits and rolls back with the caller’s transaction', async () => {
    const stream = await newStream();
    const sql = t.app.get(Sql);
    const events = t.app.get(StreamEventsRepository);
    const id = await sql.transaction(async (client) => {
      await client.query(`UPDATE streams SET status = 'live' WHERE id = $1`, [stream.id]);
      return events.record(client, 'stream.live', stream.id);
    });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      sql.transaction(async (client) => {
        await client.query(`UPDATE streams SET status = 'active' WHERE id = $1`, [stream.id]);
        await events.record(client, 'stream.idle', stream.id);
        throw new Error('the live period change fails after recording');
      }),
    ).rejects.toThrow('fails after recording');
    expect(await sql.transaction((client) => events.record(client, 'stream.idle', 2_000_000_000))).toBeNull();

    const recorded = await eventsOf(stream.id);
    expect(recorded.map((e) => [e.type, e.stream.status])).toEqual([
      ['stream.created', 'active'],
      ['stream.live', 'live'],
    ]);
    await waitFor(() => Promise.resolve(receiver.forStream(stream.id).length === 2), 10_000);
    expect(receiver.forStream(stream.id)[1].body).toMatchObject({
      id,
      type: 'stream.live',
      data: { stream: { id: stream.id, status: 'live' } },
    });
  });
});
