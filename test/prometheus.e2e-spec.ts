import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../src/database/embedded-postgres.js';
import { COLLECT_INTERVAL_MS } from '../src/metrics/database-collector.js';
import { baseUrl, startTestApp, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/http.js';
import { nginxHook } from './helpers/monitoring.js';
import { describeWithTools, findTool } from './helpers/tools.js';
import { aStream, aUser, type BuiltUser } from './helpers/builders.js';

/**
 * A real Prometheus (Debian's `prometheus` package) scraping the app every second, with
 * the shipped alert rules loaded, while the test creates streams and publishes through
 * the nginx hooks; then Prometheus's HTTP API must hold what the test caused.
 */
describeWithTools('a real Prometheus scraping the app', ['prometheus'], () => {
  let t: TestApp;
  let owner: BuiltUser;
  let dir: string;
  let prometheus: ChildProcess | undefined;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    owner = await aUser(t);
    dir = await mkdtemp(join(tmpdir(), 'streamly-prometheus-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    await writeFile(
      join(dir, 'prometheus.yml'),
      `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${resolve('deploy/monitoring/alerts.yml')}
scrape_configs:
  - job_name: streamly-api
    scrape_timeout: 1s
    static_configs:
      - targets: ['${new URL(baseUrl(t.app)).host}']
`,
    );
    prometheus = spawn(
      findTool('prometheus')!,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log: Buffer[] = [];
    prometheus.stderr!.on('data', (chunk: Buffer) => log.push(chunk));
    await waitFor(async () => (await fetch(`${api}/-/ready`)).ok, 15_000, 200, 'Prometheus did not start').catch((error: Error) => {
      throw new Error(`${error.message}: ${Buffer.concat(log).toString().slice(-2000)}`);
    });
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const gone = new Promise((done) => prometheus!.once('exit', done));
      prometheus.kill('SIGTERM');
      await gone;
    }
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  /** One instant query; the single sample's value, or undefined when the result is empty. */
  const query = async (promql: string): Promise<number | undefined> => {
    const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
      status: string;
      data: { result: Array<{ value: [number, string] }> };
    };
    expect(body.status).toBe('success');
    return body.data.result.length === 0 ? undefined : Number(body.data.result[0].value[1]);
  };

  it('holds what the test caused: up, live streams, open sessions, key lookups timed; the alert rules evaluate and stay quiet', async () => {
    const started = performance.now();
    const streams = [await aStream(t, owner), await aStream(t, owner), await aStream(t, owner)];
    await nginxHook(t, 'on_publish', streams[0].streamKey, 101).expect(200);
    await nginxHook(t, 'on_publish', streams[1].streamKey, 102).expect(200);
    for (const stream of streams.slice(0, 2)) {
      await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}`).set('Authorization', `Bearer ${t.config.ingestSecret}`).expect(200);
      await t.http().get(`/api/v1/ingest/keys/${stream.streamKey}`).set('Authorization', `Bearer ${t.config.ingestSecret}`).expect(200);
    }

    const job = 'job="streamly-api"';
    // The database gauges follow at the collector's next round (every 15 s), then the next scrape.
    await waitFor(
      async () => (await query(`streamly_live_streams{${job}}`)) === 2,
      COLLECT_INTERVAL_MS + 10_000,
      500,
      'live streams never reached 2 in Prometheus',
    );
    const seconds = (performance.now() - started) / 1000;

    expect(await query(`up{${job}}`)).toBe(1);
    expect(await query(`streamly_live_streams{${job}}`)).toBe(2);
    expect(await query(`streamly_streams{${job},status="active"}`)).toBe(1);
    expect(await query(`streamly_publish_sessions_open{${job}}`)).toBe(2);
    expect(await query(`streamly_accounts{${job}}`)).toBe(1);
    expect(await query(`streamly_db_statement_duration_seconds_count{${job},statement="key_lookup"}`)).toBe(4);
    expect(await query(`streamly_db_statement_duration_seconds_bucket{${job},statement="key_lookup",le="+Inf"}`)).toBe(4);
    // The alert's p99 expression evaluates on these buckets (a number, whatever the machine's load made it).
    expect(
      await query(`histogram_quantile(0.99, sum by (le) (streamly_db_statement_duration_seconds_bucket{${job},statement="key_lookup"}))`),
    ).toBeGreaterThan(0);
    expect(await query(`sum(streamly_db_statement_duration_seconds_count{${job},statement="other"})`)).toBeGreaterThan(0);
    expect(
      await query(`http_request_duration_seconds_count{${job},method="POST",route="/api/v1/ingest/nginx/on_publish",status_code="200"}`),
    ).toBe(2);
    expect(await query(`streamly_ingest_decisions_total{${job},adapter="nginx",outcome="allowed"}`)).toBe(2);
    expect(await query(`streamly_db_collector_up{${job},source="database"}`)).toBe(1);
    // Samples over the whole run: the scrape never failed.
    expect(await query(`min_over_time(up{${job}}[1m])`)).toBe(1);
    // Prometheus applies new targets every 5 s, so its first scrape comes a few seconds after it is ready.
    const scrapes = (await query(`count_over_time(up{${job}}[1m])`))!;
    const scrapedFor = (await query(`time() - min_over_time(timestamp(up{${job}})[1m:1s])`))!;
    expect(scrapes).toBeGreaterThanOrEqual(Math.floor(scrapedFor) - 1);
    expect(scrapedFor).toBeGreaterThan(5);

    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string }> }> };
    };
    const all = rules.data.groups.flatMap((group) => group.rules);
    expect(all.length).toBe((await readFile('deploy/monitoring/alerts.yml', 'utf8')).match(/^\s+- (alert|record):/gm)!.length);
    for (const rule of all) {
      expect({ name: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ name: rule.name, health: 'ok', error: '' });
      if (rule.state !== undefined) expect({ name: rule.name, state: rule.state }).toEqual({ name: rule.name, state: 'inactive' });
    }
    const slowest = await query(`max_over_time(scrape_duration_seconds{${job}}[1m])`);
    console.info(
      `[prometheus] ${seconds.toFixed(1)} s until the database gauges showed the test's streams; ` +
        `${scrapes} scrapes in ${scrapedFor.toFixed(1)} s, slowest ${(slowest! * 1000).toFixed(0)} ms`,
    );
  }, 60_000);
});
