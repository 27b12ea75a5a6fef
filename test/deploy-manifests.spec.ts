import { expect } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Every manifest in deploy/kubernetes parses, and the objects agree with each other: the
 * selectors of the Service, the PodDisruptionBudget and the NetworkPolicies pick the pods
 * they are meant to (and only those), the migration Job holds no secret but the database
 * URL, and the example Ingress keeps the ingest routes and /metrics private.
 */

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface Container {
  ports: Array<{ name: string }>;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { key: string } } }>;
  envFrom?: Array<{ secretRef?: unknown }>;
}
interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { name: string } } };
}
/**
 * The spec fields these tests read, across kinds: each kind has only its own, and one
 * that is missing fails the test that reads it.
 */
interface Spec {
  template: { metadata: { labels: Labels }; spec: { containers: Container[] } };
  /** A Selector (Deployment, PodDisruptionBudget) or plain labels (Service). */
  selector: Selector | Labels;
  podSelector: Selector;
  policyTypes: string[];
  ingress: Array<{ from?: Peer[]; ports?: Array<{ port: string | number }> }>;
  rules: Array<{ http: { paths: IngressPath[] } }>;
  ports: Array<{ name: string }>;
}
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  spec: Spec;
  stringData?: Labels;
  resources?: string[];
};

const DIR = 'deploy/kubernetes';
const files = readdirSync(DIR).filter((file) => file.endsWith('.yaml'));
const manifests: Array<Manifest & { file: string }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    expect({ file, errors: doc.errors.map(String) }).toEqual({ file, errors: [] });
    return { ...(doc.toJS() as Manifest), file };
  }),
);
const one = (kind: string, name?: string) => {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
  return found[0];
};

/** Kubernetes label-selector semantics (an empty selector selects everything). */
function selects(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
    }
  });
  return byLabels && byExpressions;
}

/** Whether an ingress rule's peer lets in a pod with these labels, in its own namespace or another. */
function admits(peer: Peer, pod: Labels, namespace: Labels | 'same'): boolean {
  if (peer.ipBlock) return false;
  if (peer.namespaceSelector)
    return namespace !== 'same' && selects(peer.namespaceSelector, namespace) && (!peer.podSelector || selects(peer.podSelector, pod));
  return namespace === 'same' && selects(peer.podSelector, pod);
}

const policyPeers = (name: string): Peer[] => {
  const policy = one('NetworkPolicy', name);
  expect(policy.spec.policyTypes).toEqual(['Ingress']);
  const rules = policy.spec.ingress;
  // A rule without `from` or `ports` would let everyone in, or on every port.
  for (const rule of rules) {
    expect(rule.from?.length).toBeGreaterThan(0);
    expect(rule.ports?.length).toBeGreaterThan(0);
    for (const peer of rule.from!) expect(peer.podSelector ?? peer.ipBlock).toBeDefined();
  }
  return rules.flatMap((rule) => rule.from!);
};

// Pods that are not ours, as the policy comments ask them to be labelled.
const INGRESS_NS = { 'kubernetes.io/metadata.name': 'ingress-nginx' };
const INGRESS_CONTROLLER = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' };
const INGEST_SERVER = {
  'app.kubernetes.io/name': 'nginx-rtmp',
  'app.kubernetes.io/part-of': 'streamly',
  'app.kubernetes.io/component': 'ingest',
};
const PGBOUNCER = { 'app.kubernetes.io/name': 'pgbouncer', 'app.kubernetes.io/part-of': 'streamly' };
const POSTGRESQL = { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/part-of': 'streamly' };
const STRANGER = { app: 'something-else' };

describe('deploy/kubernetes manifests', () => {
  const deployment = one('Deployment', 'streamly-api');
  const apiPod: Labels = deployment.spec.template.metadata.labels;
  const job = one('Job', 'streamly-migrate');
  const jobPod: Labels = job.spec.template.metadata.labels;

  it('every file parses into objects with a kind and a name; kustomization lists files that exist', () => {
    expect(files).toEqual(expect.arrayContaining(['deployment.yaml', 'networkpolicy.yaml', 'service.yaml', 'migrate-job.yaml']));
    for (const m of manifests) {
      expect(m.apiVersion).toMatch(/\w/);
      expect(m.kind).toMatch(/\w/);
      if (m.kind !== 'Kustomization') expect(m.metadata.name).toMatch(/^[a-z0-9-]+$/);
    }
    const kustomization = one('Kustomization');
    for (const resource of kustomization.resources!) expect(files).toContain(resource);
    expect(kustomization.resources).toContain('networkpolicy.yaml');
  });

  it('the Deployment, Service and PodDisruptionBudget select the API pods, and not the migration Job', () => {
    expect(selects(deployment.spec.selector as Selector, apiPod)).toBe(true);
    for (const selector of [one('Service', 'streamly-api').spec.selector, one('PodDisruptionBudget', 'streamly-api').spec.selector]) {
      const asSelector: Selector = 'matchLabels' in selector ? selector : { matchLabels: selector as Labels };
      expect(selects(asSelector, apiPod)).toBe(true);
      expect(selects(asSelector, jobPod)).toBe(false);
    }
  });

  it('NetworkPolicy streamly-api: selects the API pods; lets in the ingress controller and the ingest servers (and Prometheus), nobody else', () => {
    const policy = one('NetworkPolicy', 'streamly-api');
    expect(selects(policy.spec.podSelector, apiPod)).toBe(true);
    expect(selects(policy.spec.podSelector, jobPod)).toBe(false);
    const peers = policyPeers('streamly-api');
    const anyAdmits = (pod: Labels, ns: Labels | 'same') => peers.some((peer) => admits(peer, pod, ns));
    expect(anyAdmits(INGRESS_CONTROLLER, INGRESS_NS)).toBe(true);
    expect(anyAdmits(INGEST_SERVER, 'same')).toBe(true);
    expect(anyAdmits(INGRESS_CONTROLLER, 'same')).toBe(false); // a look-alike in our namespace
    expect(anyAdmits(STRANGER, 'same')).toBe(false);
    expect(anyAdmits(STRANGER, INGRESS_NS)).toBe(false);
    expect(anyAdmits(POSTGRESQL, 'same')).toBe(false);
    // The named port exists on the API container.
    const ports = policy.spec.ingress.flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
    const containerPorts = deployment.spec.template.spec.containers[0].ports.map((p) => p.name);
    for (const port of ports) expect(containerPorts).toContain(port);
  });

  it('NetworkPolicies streamly-pgbouncer and streamly-postgresql: only the API (and its migration Job) reach the database', () => {
    expect(selects(one('NetworkPolicy', 'streamly-pgbouncer').spec.podSelector, PGBOUNCER)).toBe(true);
    expect(selects(one('NetworkPolicy', 'streamly-postgresql').spec.podSelector, POSTGRESQL)).toBe(true);

    const bouncerPeers = policyPeers('streamly-pgbouncer');
    const bouncerAdmits = (pod: Labels) => bouncerPeers.some((peer) => admits(peer, pod, 'same'));
    expect(bouncerAdmits(apiPod)).toBe(true);
    for (const pod of [INGEST_SERVER, INGRESS_CONTROLLER, STRANGER]) expect(bouncerAdmits(pod)).toBe(false);

    const postgresPeers = policyPeers('streamly-postgresql');
    const postgresAdmits = (pod: Labels) => postgresPeers.some((peer) => admits(peer, pod, 'same'));
    for (const pod of [apiPod, jobPod, PGBOUNCER, POSTGRESQL]) expect(postgresAdmits(pod)).toBe(true);
    for (const pod of [INGEST_SERVER, INGRESS_CONTROLLER, STRANGER]) expect(postgresAdmits(pod)).toBe(false);
    expect(postgresPeers.some((peer) => admits(peer, INGRESS_CONTROLLER, INGRESS_NS))).toBe(false);
  });

  it('the migration Job holds no secret but the direct database URL; every secret key read exists in secret.example.yaml', () => {
    const container = job.spec.template.spec.containers[0];
    const fromSecrets = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
    expect(fromSecrets.map((e) => e.name)).toEqual(['DATABASE_URL']);
    expect((container.envFrom ?? []).filter((e) => e.secretRef)).toEqual([]);
    expect(JSON.stringify(job)).not.toMatch(/jwt|ingest-secret|webhook/i);

    const exampleKeys = Object.keys(one('Secret', 'streamly-secrets').stringData ?? {});
    for (const workload of [deployment, job]) {
      for (const env of workload.spec.template.spec.containers.flatMap((c) => c.env ?? [])) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref) expect(exampleKeys).toContain(ref.key);
      }
    }
  });

  it('the example Ingress routes no path that reaches /api/v1/ingest or /metrics, and points at the Service', () => {
    const ingress = one('Ingress', 'streamly-api');
    const service = one('Service', 'streamly-api');
    const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths);
    expect(paths.length).toBeGreaterThan(0);
    // Prefix matching is per path element (Kubernetes semantics); anything else is treated as a prefix too.
    const reaches = (rule: { path: string; pathType: string }, target: string) => {
      if (rule.pathType === 'Exact') return rule.path === target;
      const prefix = rule.path.replace(/\/+$/, '');
      return prefix === '' || target === prefix || target.startsWith(`${prefix}/`);
    };
    for (const target of ['/api/v1/ingest', '/api/v1/ingest/keys/k', '/api/v1/ingest/nginx/on_publish', '/metrics', '/docs', '/health']) {
      expect({ target, routedBy: paths.filter((p) => reaches(p, target)).map((p) => p.path) }).toEqual({ target, routedBy: [] });
    }
    for (const target of ['/api/v1/auth/login', '/api/v1/users/me', '/api/v1/streams'])
      expect(paths.some((p) => reaches(p, target))).toBe(true);
    for (const p of paths) {
      expect(p.backend.service.name).toBe(service.metadata.name);
      expect(service.spec.ports.map((port) => port.name)).toContain(p.backend.service.port.name);
    }
  });
});
