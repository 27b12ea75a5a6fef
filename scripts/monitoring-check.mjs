#!/usr/bin/env node
/**
 * `npm run monitoring:check`: what deploy/monitoring/ ships is loadable as it is.
 * - promtool: the alert rules parse, their unit tests pass, the example config is valid;
 * - prometheusrule.yaml (prometheus-operator) holds exactly the groups of alerts.yml
 *   (`npm run monitoring:check -- --write` regenerates it);
 * - the Grafana dashboard is JSON with a query in every panel.
 * Which metrics the dashboard names is checked against a running app by test/monitoring.e2e-spec.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'monitoring');
const promtool = (...args) => execFileSync('promtool', args, { cwd: dir, stdio: 'inherit' });

try {
  promtool('check', 'rules', 'alerts.yml');
  promtool('test', 'rules', 'alerts.test.yml');
  promtool('check', 'config', 'prometheus.example.yml');
} catch (error) {
  if (error.code === 'ENOENT')
    console.error('promtool not found: install Debian/Ubuntu package `prometheus` (or Prometheus from prometheus.io)');
  process.exit(1);
}

/** alerts.yml's `groups:` under a PrometheusRule's spec, comments and all. */
function prometheusRule() {
  const groups = readFileSync(join(dir, 'alerts.yml'), 'utf8').split('\n');
  const start = groups.findIndex((line) => line.startsWith('groups:'));
  const indented = groups.slice(start).map((line) => (line === '' ? '' : `  ${line}`));
  return [
    '# GENERATED from alerts.yml by `npm run monitoring:check -- --write`; edit alerts.yml.',
    '# For prometheus-operator: its Prometheus must select this object (ruleSelector), often by',
    '# a label such as `release: <helm release>` added under metadata.labels.',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: PrometheusRule',
    'metadata:',
    '  name: streamly-api',
    '  labels:',
    '    app.kubernetes.io/name: streamly-api',
    'spec:',
    ...indented,
  ].join('\n');
}
const rulePath = join(dir, 'prometheusrule.yaml');
if (process.argv.includes('--write')) writeFileSync(rulePath, prometheusRule());
let current = '';
try {
  current = readFileSync(rulePath, 'utf8');
} catch {
  // missing: reported below
}
if (current !== prometheusRule()) {
  console.error('deploy/monitoring/prometheusrule.yaml is not alerts.yml: run `npm run monitoring:check -- --write`');
  process.exit(1);
}
console.log('prometheusrule.yaml matches alerts.yml');

const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8'));
const empty = dashboard.panels.filter((panel) => panel.type !== 'row' && !(panel.targets ?? []).some((target) => target.expr));
if (empty.length > 0) {
  console.error(`grafana-dashboard.json: panels without a query: ${empty.map((panel) => panel.title).join(', ')}`);
  process.exit(1);
}
console.log(`grafana-dashboard.json: ${dashboard.panels.length} panels`);
