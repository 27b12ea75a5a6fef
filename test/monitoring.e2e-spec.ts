import { expect } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { parse, parseAllDocuments } from 'yaml';
import { DataSource } from 'typeorm';
import { sqlComment } from '../src/database/statement-timing.js';
import { DatabaseCollector } from '../src/metrics/database-collector.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { labelValues, nginxHook, runTool, sample } from './helpers/monitoring.js';
import { findTool } from './helpers/tools.js';
import { aStream, aUser, type BuiltUser } from './helpers/builders.js';

const STATEMENT = 'streamly_db_statement_duration_seconds';

describe('database monitoring in /metrics (statement durations, connections, sizes, platform counts)', () => {
  let t: TestApp;
  let owner: BuiltUser;
  let dataSource: DataSource;
  const scrape = async () => (await t.http().get('/metrics').expect(200)).text;
  const collected = async () => {
    await t.app.get(DatabaseCollector).refresh();
    return scrape();
  };
  // No reconnect window: a stream is active again as soon as its publish is done.
  const newStream = () => aStream(t, owner, { reconnectWindowSeconds: 0 });

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    owner = await aUser(t);
  });
  afterAll(() => t.close());

  it('counts what the platform is doing: streams by status, live streams, open publish sessions, accounts', async () => {
    const [live, idle, disabled] = [await newStream(), await newStream(), await newStream()];
    await t.http().patch(`/api/v1/streams/${disabled.id}`).set(owner.auth).send({ status: 'disabled' }).expect(200);
    await nginxHook(t, 'on_publish', live.streamKey, 1).expect(200);
    // A second publisher on the same key, refused by nginx itself: one more open session, still one live stream.
    await nginxHook(t, 'on_publish', live.streamKey, 2).expect(200);
    await nginxHook(t, 'on_publish', idle.streamKey, 3).expect(200);
    await nginxHook(t, 'on_publish_done', idle.streamKey, 3).expect(200);

    const text = await collected();
    expect(sample(text, 'streamly_live_streams')).toBe(1);
    expect(sample(text, 'streamly_streams', 'status="live"')).toBe(1);
    expect(sample(text, 'streamly_streams', 'status="active"')).toBe(1);
    expect(sample(text, 'streamly_streams', 'status="disabled"')).toBe(1);
    expect(sample(text, 'streamly_streams', 'status="expired"')).toBe(0);
    expect(sample(text, 'streamly_publish_sessions_open')).toBe(2);
    expect(sample(text, 'streamly_accounts')).toBe(1);
    expect(sample(text, 'streamly_db_collector_up', 'source="platform"')).toBe(1);

    await nginxHook(t, 'on_publish_done', live.streamKey, 1).expect(200);
    await nginxHook(t, 'on_publish_done', live.streamKey, 2).expect(200);
    const after = await collected();
    expect(sample(after, 'streamly_live_streams')).toBe(0);
    expect(sample(after, 'streamly_publish_sessions_open')).toBe(0);
  });

  it('connections by state, database and table sizes, and how long the collection took', async () => {
    const text = await collected();
    expect(labelValues(text, 'streamly_db_backends', 'state').sort()).toEqual([
      'active',
      'idle',
      'idle_in_transaction',
      'other',
      'waiting_on_lock',
    ]);
    // The app's own pool is connected and idle between requests; the collector does not count itself.
    expect(sample(text, 'streamly_db_backends', 'state="idle"')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'streamly_db_size_bytes')).toBeGreaterThan(1_000_000);
    for (const table of ['users', 'streams', 'publish_sessions', 'refresh_tokens', 'migrations']) {
      expect(sample(text, 'streamly_db_table_size_bytes', `table="${table}"`)).toBeGreaterThan(0);
    }
    expect(sample(text, 'streamly_db_collector_up', 'source="database"')).toBe(1);
    expect(sample(text, 'streamly_db_collector_duration_seconds', 'source="database"')).toBeGreaterThan(0);
  });

  it('a session holding a lock shows as idle in transaction, and the one blocked by it as waiting on a lock', async () => {
    const connect = async () => {
      const client = new pg.Client({ connectionString: t.config.databaseUrl });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    const [holder, waiter] = [await connect(), await connect()];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [owner.id]);
      const blocked = waiter.query('UPDATE users SET first_name = first_name WHERE id = $1', [owner.id]);
      // The UPDATE reaches its lock a moment after it is sent.
      await waitFor(async () => sample(await collected(), 'streamly_db_backends', 'state="waiting_on_lock"') === 1, 5000);
      const text = await scrape();
      expect(sample(text, 'streamly_db_backends', 'state="idle_in_transaction"')).toBeGreaterThanOrEqual(1);
      await holder.query('ROLLBACK');
      await blocked;
    } finally {
      await holder.end();
      await waiter.end();
    }
    expect(sample(await collected(), 'streamly_db_backends', 'state="waiting_on_lock"')).toBe(0);
  });

  it('times statements by bounded name: the key lookup, TypeORM statements by their comment, else other; never SQL text', async () => {
    const stream = await newStream();
    const before = await scrape();
    const count = (text: string, statement: string) => sample(text, `${STATEMENT}_count`, `statement="${statement}"`) ?? 0;

    for (let i = 0; i < 3; i++) {
      await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}`).set('Authorization', `Bearer ${t.config.ingestSecret}`).expect(200);
    }
    await dataSource.query(`${sqlComment('user_get')}SELECT 1`);
    await dataSource.getRepository('User').find({ take: 1, comment: 'user_profile' });
    await dataSource.query(`/* not_on_the_list */ SELECT 2`);

    const after = await scrape();
    expect(count(after, 'key_lookup') - count(before, 'key_lookup')).toBe(3);
    expect(count(after, 'user_get') - count(before, 'user_get')).toBe(1);
    expect(count(after, 'user_profile') - count(before, 'user_profile')).toBe(1);
    // The made-up name only.
    expect(count(after, 'other') - count(before, 'other')).toBe(1);
    expect(sample(after, `${STATEMENT}_bucket`, 'le="+Inf",statement="key_lookup"')).toBe(count(after, 'key_lookup'));

    const names = labelValues(after, `${STATEMENT}_count`, 'statement');
    expect(names).not.toContain('not_on_the_list');
    expect(after).not.toMatch(/SELECT|stream_key|not_on_the_list/);
    expect(after).not.toContain(stream.streamKey);
  });

  it('the Grafana dashboard queries only metrics this app exposes', async () => {
    const dashboard = JSON.parse(await readFile('deploy/monitoring/grafana-dashboard.json', 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exposed = new Set([...(await scrape()).matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => m[1]));
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    for (const { panel, expr } of exprs) {
      // Every selector in the dashboard carries a label matcher, so `name{` finds every metric it names.
      const names = [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]);
      expect({ panel, names: names.length > 0 }).toEqual({ panel, names: true });
      for (const name of names) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        expect({ panel, name, exposed: exposed.has(name) || exposed.has(base) }).toEqual({ panel, name, exposed: true });
      }
    }
  });

  const promtool = findTool('promtool');
  (promtool ? it : it.skip)('promtool check metrics finds no problem with any streamly_ or HTTP metric', async () => {
    const { output } = await runTool(promtool!, ['check', 'metrics'], await collected());
    const ours = output.split('\n').filter((line) => /streamly_|http_request_duration/.test(line));
    expect(ours).toEqual([]);
  });
});

describe('the prometheus-operator objects (deploy/monitoring)', () => {
  /** The fields these tests read of the ServiceMonitor, Service, Deployment, PrometheusRule and alerts.yml. */
  interface Manifest {
    kind: string;
    metadata: { labels: Record<string, string> };
    spec: {
      selector: { matchLabels: Record<string, string> } & Record<string, string>;
      endpoints: unknown[];
      ports: Array<{ name: string }>;
      template: { metadata: { labels: Record<string, string> } };
      groups: unknown[];
    };
    groups: unknown[];
  }
  const load = async (path: string) => parse(await readFile(path, 'utf8')) as Manifest;

  it('the ServiceMonitor selects the Service in front of the Deployment, on its http port, at /metrics', async () => {
    const [monitor, service] = await Promise.all([load('deploy/monitoring/servicemonitor.yaml'), load('deploy/kubernetes/service.yaml')]);
    const deployment = parseAllDocuments(await readFile('deploy/kubernetes/deployment.yaml', 'utf8'))
      .map((doc) => doc.toJS() as Manifest)
      .find((doc) => doc.kind === 'Deployment')!;
    expect(monitor.kind).toBe('ServiceMonitor');
    const selector = monitor.spec.selector.matchLabels;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(service.metadata.labels).toMatchObject(selector);
    expect(deployment.metadata.labels).toMatchObject(selector);
    // The Service sends to the Deployment's pods, on the port the ServiceMonitor names.
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(service.spec.ports.map((port) => port.name)).toContain('http');
  });

  it('the PrometheusRule holds exactly the groups of alerts.yml', async () => {
    const [rule, alerts] = await Promise.all([load('deploy/monitoring/prometheusrule.yaml'), load('deploy/monitoring/alerts.yml')]);
    expect(rule.kind).toBe('PrometheusRule');
    expect(rule.spec.groups).toEqual(alerts.groups);
  });
});
