import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { freePort } from '../src/database/embedded-postgres.js';
import { ReadReplica } from '../src/database/read-replica.service.js';
import { Stream } from '../src/streams/stream.entity.js';
import { User } from '../src/users/user.entity.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { ingestHooks, ownerStreams } from './helpers/ingest-hooks.js';
import { createCluster, type PgCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';
import { aUser } from './helpers/builders.js';
import { bodyOf, type ErrorBody } from './helpers/bodies.js';

/** A one-row indexed read of the shape a lag-tolerant feature read would have. */
const KEY_LOOKUP = `SELECT s.id AS "streamId", u.username, s.status, pg_is_in_recovery() AS "onReplica"
  FROM streams s JOIN users u ON u.id = s.user_id WHERE s.stream_key = $1`;

describeWithTools('read replicas (streaming replica made with pg_basebackup -R)', ['initdb', 'pg_ctl', 'pg_basebackup'], () => {
  let primary: PgCluster;
  let replica: PgCluster;
  let t: TestApp;
  let reads: ReadReplica;
  let dataSource: DataSource;

  const onReplica = async () => (await reads.query<{ r: boolean }>('test_in_recovery', 'SELECT pg_is_in_recovery() AS r'))[0].r;

  const newUserWithStream = async () => {
    const suffix = randomBytes(4).toString('hex');
    const user = await dataSource
      .getRepository(User)
      .save({ username: `u_${suffix}`, email: `${suffix}@example.com`, passwordHash: 'not-a-real-hash' });
    const stream = await dataSource
      .getRepository(Stream)
      .save({ userId: user.id, streamKey: randomBytes(24).toString('base64url'), expiresAt: new Date(Date.now() + 3_600_000) });
    return { user, stream };
  };

  beforeAll(async () => {
    primary = await createCluster();
    await primary.sql('CREATE DATABASE app');
    replica = await createCluster({ replicaOf: primary });
    expect(await replica.sql('SELECT pg_is_in_recovery()')).toBe('t');
    t = await startTestApp({
      env: {
        DATABASE_URL: primary.url('app'),
        DATABASE_REPLICA_URLS: replica.url('app'),
        DB_CONNECT_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '1500',
      },
    });
    reads = t.app.get(ReadReplica);
    dataSource = t.app.get(DataSource);
    // The migrations ran on the primary; wait for them to be replayed.
    await waitFor(async () => (await replica.sql("SELECT to_regclass('streams') IS NOT NULL", 'app')) === 't', 10_000);
  }, 90_000);

  afterAll(async () => {
    await primary?.thaw();
    await t?.close();
    await replica?.destroy();
    await primary?.destroy();
  }, 60_000);

  it('raw reads through ReadReplica run on the replica; repositories and dataSource.query on the primary', async () => {
    expect(reads.hasReplicas).toBe(true);
    expect(await onReplica()).toBe(true);
    expect((await dataSource.query<{ r: boolean }[]>('SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
  });

  it('a write followed by a read of it goes to the primary, while the lagging replica does not have it yet', async () => {
    await replica.sql('SELECT pg_wal_replay_pause()');
    try {
      const { user, stream } = await newUserWithStream();
      // Repositories read from the primary (replication defaultMode 'master'): the write is visible at once.
      expect(await dataSource.getRepository(User).findOneBy({ id: user.id })).toMatchObject({ username: user.username });
      expect(await dataSource.getRepository(Stream).findOneBy({ streamKey: stream.streamKey })).toMatchObject({ id: stream.id });
      // The replica (replay paused) has not seen it: proof that ReadReplica really reads there.
      expect(await reads.query('test_lookup', KEY_LOOKUP, [stream.streamKey])).toEqual([]);
    } finally {
      await replica.sql('SELECT pg_wal_replay_resume()');
    }
  });

  it('ingest decides on the primary: with replay paused, a key rotated or disabled there is refused at once by every ingest route', async () => {
    const owner = ownerStreams(t, await aUser(t));
    const hooks = ingestHooks(t);
    const rotated = await owner.create();
    const disabled = await owner.create();
    await hooks.nginx('on_publish', rotated.streamKey, 'replica-r').expect(200);
    await hooks.nginx('on_publish', disabled.streamKey, 'replica-d').expect(200);
    const liveOnReplica = async (key: string) =>
      (await reads.query<{ status: string }>('test_lookup', KEY_LOOKUP, [key]))[0]?.status === 'live';
    await waitFor(async () => (await liveOnReplica(rotated.streamKey)) && (await liveOnReplica(disabled.streamKey)), 10_000, 50);

    await replica.sql('SELECT pg_wal_replay_pause()');
    try {
      await owner.rotate(rotated.id);
      await owner.patch(disabled.id, { status: 'disabled' }).expect(200);
      // The replica still shows both keys as usable...
      expect(await reads.query('test_lookup', KEY_LOOKUP, [rotated.streamKey])).toEqual([
        expect.objectContaining({ status: 'live', onReplica: true }),
      ]);
      expect(await reads.query('test_lookup', KEY_LOOKUP, [disabled.streamKey])).toEqual([
        expect.objectContaining({ status: 'live', onReplica: true }),
      ]);
      // ...every ingest route refuses them at once.
      await hooks.lookup(rotated.streamKey).expect(404);
      expect(bodyOf<ErrorBody>(await hooks.lookup(disabled.streamKey).expect(403)).reason).toBe('disabled');
      for (const [stream, clientId] of [
        [rotated, 'replica-r'],
        [disabled, 'replica-d'],
      ] as const) {
        await hooks.nginx('on_update', stream.streamKey, clientId).expect(403);
        await hooks.nginx('on_publish', stream.streamKey, `${clientId}-2`).expect(403);
        await hooks.nginx('on_update', stream.streamKey, `${clientId}-3`).expect(403);
        expect((await hooks.srs('on_publish', stream.streamKey, `${clientId}-srs`)).status).toBe(403);
        expect((await hooks.mediamtxAuth(`live/${stream.streamKey}`)).status).toBe(401);
        expect((await hooks.mediamtxReady('on_ready', `live/${stream.streamKey}`, `${clientId}-mtx`)).status).toBe(403);
        await hooks.srs('on_hls', stream.streamKey, `${clientId}-hls`).expect(200);
      }
      // Nothing was taken up for either stream (on_hls cannot refuse, but it records nothing for an unusable key).
      const [{ n }] = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM publish_sessions WHERE ended_at IS NULL AND stream_id IN ($1, $2)`,
        [rotated.id, disabled.id],
      );
      expect(n).toBe(0);
    } finally {
      await replica.sql('SELECT pg_wal_replay_resume()');
    }
  });

  it('a lag-tolerant read is served by the replica while the primary is frozen', async () => {
    const { user, stream } = await newUserWithStream();
    await waitFor(async () => (await reads.query('test_lookup', KEY_LOOKUP, [stream.streamKey])).length === 1, 10_000, 50);

    await primary.freeze();
    try {
      const started = performance.now();
      const rows = await reads.query('test_lookup', KEY_LOOKUP, [stream.streamKey]);
      const ms = performance.now() - started;
      expect(rows).toEqual([{ streamId: stream.id, username: user.username, status: 'active', onReplica: true }]);
      expect(ms).toBeLessThan(500);
      console.info(`[replica] key lookup with the primary frozen: ${ms.toFixed(1)} ms`);
    } finally {
      await primary.thaw();
    }
  });

  it('a replica outage sends reads to the primary; the replica is used again once back', async () => {
    const { stream } = await newUserWithStream();
    await replica.stop();
    try {
      const rows = await reads.query<{ onReplica: boolean }>('test_lookup', KEY_LOOKUP, [stream.streamKey]);
      expect(rows).toHaveLength(1);
      expect(rows[0].onReplica).toBe(false);
    } finally {
      await replica.start();
    }
    // After the retry pause (5 s) reads go back to the replica.
    const backInMs = await waitFor(onReplica, 15_000, 250);
    console.info(`[replica] reads back on the replica ${Math.round(backInMs)} ms after it restarted`);
  }, 30_000);

  it('starts with a replica that is down at boot, leaving it out; reads fall back to the primary when none is left', async () => {
    const deadPort = await freePort();
    const deadReplica = `postgres://postgres@127.0.0.1:${deadPort}/app`;
    const withOneDown = await startTestApp({
      env: { DATABASE_URL: primary.url('app'), DATABASE_REPLICA_URLS: `${deadReplica},${replica.url('app')}`, MIGRATIONS_RUN: 'false' },
    });
    try {
      expect(await withOneDown.app.get(ReadReplica).query('test_in_recovery', 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
      expect((await withOneDown.http().get('/health')).status).toBe(200);
    } finally {
      await withOneDown.close();
    }
    const withAllDown = await startTestApp({
      env: { DATABASE_URL: primary.url('app'), DATABASE_REPLICA_URLS: deadReplica, MIGRATIONS_RUN: 'false' },
    });
    try {
      const replicaReads = withAllDown.app.get(ReadReplica);
      expect(replicaReads.hasReplicas).toBe(false);
      expect(await replicaReads.query('test_in_recovery', 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    } finally {
      await withAllDown.close();
    }
  }, 60_000);

  it('/metrics shows a pool per database server', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toMatch(/streamly_db_pool_connections\{pool="primary"\} \d+/);
    expect(res.text).toContain(`streamly_db_pool_connections{pool="replica:127.0.0.1:${replica.port}"}`);
  });
});
