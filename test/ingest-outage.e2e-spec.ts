import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { timedFetch, waitFor } from './helpers/http.js';
import { ingestHooks, ownerStreams, type TestStream } from './helpers/ingest-hooks.js';
import { RTMP_MODULE, startNginxRtmp, type NginxRtmp, type Publisher } from './helpers/nginx-rtmp.js';
import { createCluster, type PgCluster } from './helpers/pg-cluster.js';
import { describeWithTools } from './helpers/tools.js';
import { aUser } from './helpers/builders.js';

/** OUTAGE_SECONDS shortens the outage for a quick local run; the scenario is 60. */
const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 60) * 1000;
/** The default 120 s for the 60 s outage; shorter for a short one, so every session's last_seen_at is refreshed right after it. */
const SESSION_TIMEOUT_SECONDS = Math.min(120, Math.max(10, Math.floor((OUTAGE_MS / 1000) * 2)));
const PUBLISHERS = 10;

/**
 * PostgreSQL stopped under live publishers (INGEST_OUTAGE_GRACE_SECONDS): a throwaway
 * cluster, two API instances whose on_update calls alternate (nginx's own http proxy,
 * round-robin), a real nginx-rtmp with notify_update_timeout 3s, ffmpeg publishers.
 */
describeWithTools('ingest through a PostgreSQL outage', ['initdb', 'pg_ctl', 'nginx', RTMP_MODULE, 'ffmpeg'], () => {
  let cluster: PgCluster;

  beforeAll(async () => {
    cluster = await createCluster();
    await cluster.sql('CREATE DATABASE app');
    await cluster.sql('CREATE DATABASE grace');
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  const envFor = (database: string, extra: Record<string, string> = {}) => ({
    DATABASE_URL: cluster.url(database),
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_STATEMENT_TIMEOUT_MS: '1500',
    MAX_LIVE_STREAMS_PER_USER: '0',
    ...extra,
  });

  describe(`${PUBLISHERS} ffmpeg publishers, two instances, PostgreSQL stopped for ${OUTAGE_MS / 1000} s`, () => {
    let a: TestApp;
    let b: TestApp;
    let nginx: NginxRtmp;
    let db: DataSource;
    const publishers: Publisher[] = [];
    const list: TestStream[] = [];

    beforeAll(async () => {
      // One secret for both instances, as operators deploy them.
      const shared = { INGEST_SECRET: randomBytes(32).toString('base64url') };
      const env = { ...shared, INGEST_SESSION_TIMEOUT_SECONDS: String(SESSION_TIMEOUT_SECONDS) };
      a = await startTestApp({ listen: true, env: envFor('app', env) });
      b = await startTestApp({ listen: true, env: envFor('app', { ...env, MIGRATIONS_RUN: 'false' }) });
      db = a.app.get(DataSource);
      nginx = await startNginxRtmp({ apis: [baseUrl(a.app), baseUrl(b.app)], secret: shared.INGEST_SECRET, applications: { live: '3s' } });
    }, 60_000);
    afterAll(async () => {
      await cluster.start().catch(() => undefined);
      await nginx?.stop();
      await a?.close();
      await b?.close();
    }, 60_000);

    const openSessions = () =>
      db.query<{ id: string; stream_id: number; client_id: string; server_addr: string; live_period_id: string; last_seen_at: Date }[]>(
        `SELECT id, stream_id, client_id, server_addr, live_period_id, last_seen_at FROM publish_sessions WHERE ended_at IS NULL ORDER BY stream_id`,
      );
    const allRecords = () =>
      db.query<{ id: string; stream_id: number; ended_at: Date | null; end_reason: string | null }[]>(
        `SELECT id, stream_id, ended_at, end_reason FROM publish_sessions ORDER BY id`,
      );
    const decisions = async (t: TestApp, outcome: string) => {
      const text = (await timedFetch(`${baseUrl(t.app)}/metrics`)).text;
      return Number(
        new RegExp(`^streamly_ingest_decisions_total\\{adapter="nginx",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
      );
    };

    it(
      'no publisher is dropped, every stream is still live afterwards, and the records are consistent',
      async () => {
        const user = await aUser(a);
        const owner = ownerStreams(a, user);
        for (let i = 0; i < PUBLISHERS; i++) list.push(await owner.create({ reconnectWindowSeconds: 60 }));
        for (const stream of list) publishers.push(nginx.publish(stream.streamKey, 600));
        await waitFor(async () => (await openSessions()).length === PUBLISHERS, 20_000, 200, 'not every publisher became live');

        // on_update calls are spread over both instances (nginx's round-robin proxy).
        await waitFor(
          async () => (await decisions(a, 'allowed')) > PUBLISHERS && (await decisions(b, 'allowed')) > PUBLISHERS,
          20_000,
          200,
        );
        const before = await openSessions();
        const recordsBefore = await allRecords();

        await cluster.stop('fast');
        const stoppedAt = Date.now();
        try {
          // A new publish is refused (503), through the API and through nginx (which also shifts the
          // round-robin cycle: publishers' on_updates now reach the other instance); probes report the outage.
          expect((await a.http().post('/api/v1/streams').set(user.auth).send({})).status).toBe(503);
          const attempt = await timedFetch(
            `${baseUrl(a.app)}/api/v1/ingest/nginx/on_publish?secret=${encodeURIComponent(a.config.ingestSecret)}`,
            {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `name=${list[0].streamKey}&clientid=999999&addr=203.0.113.1`,
            },
          );
          expect(attempt.status).toBe(503);
          const refused = nginx.publish(list[0].streamKey.split('').reverse().join(''), 30);
          expect((await refused.exited).code).not.toBe(0);
          const health = await timedFetch(`${baseUrl(b.app)}/health`);
          expect(health.status).toBe(503);
          expect(health.ms).toBeLessThan(2000);

          for (;;) {
            const dropped = publishers.filter((p) => !p.running()).length;
            expect({ droppedDuringOutage: dropped }).toEqual({ droppedDuringOutage: 0 });
            if (Date.now() - stoppedAt >= OUTAGE_MS) break;
            await new Promise((resolve) => setTimeout(resolve, Math.min(2000, OUTAGE_MS - (Date.now() - stoppedAt))));
          }
        } finally {
          await cluster.start();
        }
        const restartedAt = Date.now();
        console.info(`[ingest-outage] PostgreSQL down for ${Math.round((restartedAt - stoppedAt) / 1000)} s`);

        // Consistent: the same sessions and live periods (none lost, none doubled), and every session
        // decided by the database again since the restart (its on_update refreshed last_seen_at, which
        // it does once that is older than a quarter of INGEST_SESSION_TIMEOUT_SECONDS, less than the outage).
        const consistent = async () => {
          const now = await openSessions();
          return (
            now.length === PUBLISHERS &&
            now.every((s) => s.last_seen_at.getTime() >= restartedAt - 500) &&
            JSON.stringify(now.map((s) => [s.id, s.live_period_id])) === JSON.stringify(before.map((s) => [s.id, s.live_period_id]))
          );
        };
        const consistentMs = await waitFor(consistent, 30_000, 100, 'records did not become consistent after the restart');
        console.info(`[ingest-outage] records consistent ${Math.round(consistentMs)} ms after PostgreSQL restarted`);
        const dropped = publishers.filter((p) => !p.running()).length;
        console.info(`[ingest-outage] publishers dropped: ${dropped} of ${PUBLISHERS}`);
        expect(dropped).toBe(0);
        expect(await allRecords()).toEqual(recordsBefore);
        for (const stream of list) expect(await owner.statusOf(stream.id)).toBe('live');
        const [{ n: openPeriods }] = await db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM stream_live_periods WHERE ended_at IS NULL`,
        );
        expect(openPeriods).toBe(PUBLISHERS);
        const graceAnswers = (await decisions(a, 'grace')) + (await decisions(b, 'grace'));
        console.info(`[ingest-outage] on_update allowed by the grace during the outage: ${graceAnswers}`);
        expect(graceAnswers).toBeGreaterThan(0);

        // The encoders stop: every session ends once, by its publish-done.
        for (const publisher of publishers) publisher.child.kill('SIGTERM');
        await Promise.all(publishers.map((p) => p.exited));
        await waitFor(async () => (await openSessions()).length === 0, 10_000, 100, 'publish-dones did not arrive');
        const ended = await allRecords();
        expect(ended).toHaveLength(PUBLISHERS);
        expect(ended.map((r) => r.end_reason)).toEqual(Array<string>(PUBLISHERS).fill('publish_done'));
      },
      OUTAGE_MS + 120_000,
    );
  });

  describe('HTTP level: the grace bounds, fail-closed, publish-done during the outage', () => {
    let g: TestApp;
    let z: TestApp;
    let db: DataSource;

    beforeAll(async () => {
      g = await startTestApp({ env: envFor('grace', { INGEST_OUTAGE_GRACE_SECONDS: '5' }) });
      z = await startTestApp({ env: envFor('grace', { INGEST_OUTAGE_GRACE_SECONDS: '0', MIGRATIONS_RUN: 'false' }) });
      db = g.app.get(DataSource);
    }, 60_000);
    afterAll(async () => {
      await cluster.start().catch(() => undefined);
      await g?.close();
      await z?.close();
    }, 60_000);

    it('running publishers are allowed for the grace, new publishes get 503, 0 fails closed, a publish-done is recorded afterwards', async () => {
      const owner = ownerStreams(g, await aUser(g));
      const [done, kept, closed] = [await owner.create({ reconnectWindowSeconds: 0 }), await owner.create(), await owner.create()];
      const onG = ingestHooks(g);
      const onZ = ingestHooks(z);
      await onG.nginx('on_publish', done.streamKey, 'g-done').expect(200);
      await onG.nginx('on_publish', kept.streamKey, 'g-kept').expect(200);
      await onZ.nginx('on_publish', closed.streamKey, 'z-closed').expect(200);
      const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

      await cluster.stop('fast');
      const stoppedAt = Date.now();
      let doneAt: number;
      try {
        await onG.nginx('on_update', kept.streamKey, 'g-kept').expect(200);
        // A publisher this instance never heard of (its calls went to another instance) is running too.
        await onG.nginx('on_update', kept.streamKey, 'g-elsewhere').expect(200);
        // New publishes need the database.
        const publish = await onG.nginx('on_publish', kept.streamKey, 'g-new');
        expect(publish.status).toBe(503);
        expect(publish.body).toEqual({ statusCode: 503, message: 'database unavailable, try again shortly', error: 'Service Unavailable' });
        expect((await onG.srs('on_publish', kept.streamKey, 'srs-new')).status).toBe(503);
        expect((await onG.mediamtxAuth(`live/${kept.streamKey}`)).status).toBe(503);
        // A publish that began after the outage did (nginx's `time`) was never allowed by anyone.
        await sleepUntil(stoppedAt + 3500);
        expect((await onG.nginx('on_update', kept.streamKey, 'g-late', 0)).status).toBe(503);
        // INGEST_OUTAGE_GRACE_SECONDS=0: fail closed.
        expect((await onZ.nginx('on_update', closed.streamKey, 'z-closed')).status).toBe(503);
        // A publish-done while the database is down: answered 503 (nginx ignores it), recorded once it is back.
        doneAt = Date.now();
        expect((await onG.nginx('on_publish_done', done.streamKey, 'g-done')).status).toBe(503);
        // The grace (5 s) is over.
        await sleepUntil(stoppedAt + 6000);
        expect((await onG.nginx('on_update', kept.streamKey, 'g-kept', 60)).status).toBe(503);
      } finally {
        await cluster.start();
      }
      await waitFor(async () => (await owner.statusOf(done.id)) === 'active', 15_000, 200, 'the deferred publish-done was not recorded');
      const [row] = await db.query<{ ended_at: Date; end_reason: string }[]>(
        `SELECT ended_at, end_reason FROM publish_sessions WHERE client_id = 'g-done'`,
      );
      expect(row.end_reason).toBe('publish_done');
      expect(Math.abs(row.ended_at.getTime() - doneAt)).toBeLessThan(2000);
      // After the outage the database decides again.
      await waitFor(async () => (await onG.nginx('on_update', kept.streamKey, 'g-kept')).status === 200, 10_000, 200);
      await onZ.nginx('on_update', closed.streamKey, 'z-closed').expect(200);
    }, 90_000);

    it('a hung PostgreSQL (frozen): on_update of a running publish is answered within 3 s, the next ones at once', async () => {
      // The default timeouts (2 s for a pool slot, 2 s to connect, 5 s + 1 s for a query) can outlast nginx's 10 s netcall timeout.
      const d = await startTestApp({
        listen: true,
        env: { DATABASE_URL: cluster.url('grace'), MIGRATIONS_RUN: 'false', MAX_LIVE_STREAMS_PER_USER: '0' },
      });
      try {
        const stream = await ownerStreams(d, await aUser(d)).create();
        const hooks = ingestHooks(d);
        await hooks.nginx('on_publish', stream.streamKey, 'd-frozen').expect(200);
        const update = () =>
          timedFetch(`${baseUrl(d.app)}/api/v1/ingest/nginx/on_update?secret=${encodeURIComponent(d.config.ingestSecret)}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `app=live&addr=203.0.113.7&clientid=d-frozen&call=update_publish&time=60&timestamp=60000&name=${stream.streamKey}&type=live`,
          });
        await cluster.freeze();
        try {
          const first = await update();
          const next = await update();
          console.info(`[ingest-outage] frozen: first on_update ${Math.round(first.ms)} ms, the next ${Math.round(next.ms)} ms`);
          expect([first.status, next.status]).toEqual([200, 200]);
          expect(first.ms).toBeLessThan(4000);
          expect(next.ms).toBeLessThan(500);
        } finally {
          await cluster.thaw();
        }
        await waitFor(
          async () => (await update()).status === 200 && (await hooks.nginx('on_publish', stream.streamKey, 'd-after')).status === 200,
          15_000,
          250,
        );
      } finally {
        await d.close();
      }
    }, 60_000);
  });
});
