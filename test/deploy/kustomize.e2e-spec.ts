/**
 * Renders every overlay under deploy/overlays with `kubectl kustomize` (the kustomize built into
 * kubectl; .ci/run installs kubectl when missing) and checks what would reach the cluster:
 * - every object validates against the Kubernetes schemas (kubernetes-models);
 * - the seed's env names are on the containers, FW_EVENT_SMTP_SERVER_PASSWORD and ES_PASSWORD come
 *   from secretKeyRefs shaped like the seed's, and no secret is ever a literal value or a ConfigMap key;
 * - each container's environment (ConfigMap + env, secrets filled with placeholders) passes the real
 *   config loader with production rules, and names only variables the service knows;
 * - probes, security context, resources, PDB, HPA, NetworkPolicy egress and the shutdown timings fit.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, SECRET_VARIABLES } from '@mailstrata/config';
import { parseAllDocuments } from 'yaml';
import { envSchema } from '../../libs/config/src/env.schema';

const root = join(__dirname, '..', '..');
const overlaysDir = join(root, 'deploy', 'overlays');
const overlays = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } };

const SEED_SMTP = [
  'FW_EVENT_SMTP_SERVER_ADDR',
  'FW_EVENT_SMTP_SERVER_PORT',
  'FW_EVENT_SMTP_SERVER_USERNAME',
  'FW_EVENT_SMTP_SERVER_PASSWORD',
  'FW_EVENT_SMTP_SERVER_USE_TLS',
  'FW_EVENT_SMTP_SERVER_USE_INSECURE',
];
const SEED_ES = ['ES_USER_NAME', 'ES_PASSWORD', 'ELASTIC_SEARCH_FQDN'];
const KNOWN_VARIABLES = new Set(Object.keys(envSchema.shape));

interface Rendered {
  objects: K8sObject[];
  /** What kustomize printed besides the manifests (deprecation notes, warnings). */
  stderr: string;
}

function render(overlay: string): Rendered {
  const run = spawnSync('kubectl', ['kustomize', join(overlaysDir, overlay)], { encoding: 'utf8' });
  if (run.error) throw run.error;
  if (run.status !== 0) {
    // kubectl 1.20 (kustomize v2) cannot load a base directory from `resources` nor read `patches`.
    throw new Error(`kubectl kustomize failed (the overlays need kubectl 1.21+ / kustomize v4+):\n${run.stderr}`);
  }
  const objects = parseAllDocuments(run.stdout)
    .map((d) => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
  return { objects, stderr: run.stderr };
}

function validate(object: K8sObject): void {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const models = require(group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`) as Record<
    string,
    new (o: unknown) => { validate(): void }
  >;
  const Model = models[object.kind];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

describe.each(overlays)('deploy/overlays/%s', (overlay) => {
  let objects: K8sObject[];
  const find = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`${overlay}: no ${kind} ${name}`);
    return o;
  };
  const podTemplates = () =>
    objects
      .filter((o) => ['Deployment', 'Job'].includes(o.kind))
      .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, template: o.spec.template }));
  const configMap = () => find('ConfigMap', 'mailstrata-config').data ?? {};

  let stderr = '';

  beforeAll(() => {
    ({ objects, stderr } = render(overlay));
  });

  it('renders without warnings (no deprecated kustomization fields)', () => {
    expect(stderr).not.toMatch(/deprecated|warning/i);
    expect(stderr.trim()).toBe('');
  });

  it('renders the expected objects, all in one namespace', () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual([
      'ConfigMap/mailstrata-config',
      'Deployment/event-framework',
      'Deployment/event-worker',
      'HorizontalPodAutoscaler/event-framework',
      'Job/mailstrata-migrate',
      'NetworkPolicy/mailstrata-egress',
      'PodDisruptionBudget/event-framework',
      'PodDisruptionBudget/event-worker',
      'Service/event-framework',
      'ServiceAccount/mailstrata',
    ]);
    const namespaces = new Set(objects.map((o) => o.metadata.namespace));
    expect(namespaces.size).toBe(1);
    expect([...namespaces][0]).toMatch(/^mailstrata/);
  });

  it('validates every object against the Kubernetes schemas', () => {
    for (const o of objects) {
      expect(() => validate(o)).not.toThrow();
    }
  });

  it('puts the seed env names on both apps, with the SMTP and Elasticsearch passwords from secretKeyRefs', () => {
    for (const name of ['event-framework', 'event-worker']) {
      const env: EnvVar[] = find('Deployment', name).spec.template.spec.containers[0].env;
      const byName = new Map(env.map((e) => [e.name, e]));
      for (const variable of [...SEED_SMTP, ...SEED_ES]) expect(byName.has(variable)).toBe(true);
      const smtpPassword = byName.get('FW_EVENT_SMTP_SERVER_PASSWORD')!;
      expect(smtpPassword.value).toBeUndefined();
      expect(Object.keys(smtpPassword.valueFrom!.secretKeyRef!).sort()).toEqual(['key', 'name']);
      expect(smtpPassword.valueFrom!.secretKeyRef).toEqual({ key: expect.any(String), name: expect.any(String) });
      expect(byName.get('ES_PASSWORD')!.valueFrom!.secretKeyRef).toEqual({ key: 'elastic', name: 'rafay-es-es-elastic-user' });
      expect(byName.get('ES_USER_NAME')!.value).toBe('elastic');
      for (const variable of SEED_SMTP.filter((v) => v !== 'FW_EVENT_SMTP_SERVER_PASSWORD')) {
        expect(typeof byName.get(variable)!.value).toBe('string');
      }
    }
  });

  it('never carries a secret as a literal value or ConfigMap key, and names only known variables', () => {
    for (const key of Object.keys(configMap())) {
      expect(SECRET_VARIABLES.has(key)).toBe(false);
      expect(KNOWN_VARIABLES.has(key)).toBe(true);
    }
    for (const { template } of podTemplates()) {
      for (const container of template.spec.containers) {
        const env: EnvVar[] = container.env ?? [];
        expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
        for (const e of env) {
          expect(KNOWN_VARIABLES.has(e.name)).toBe(true);
          if (SECRET_VARIABLES.has(e.name)) {
            expect(e.value).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef?.name).toBeTruthy();
          }
        }
      }
    }
  });

  it('gives every container an environment the service accepts in production', () => {
    for (const { owner, template } of podTemplates()) {
      const container = template.spec.containers[0];
      const env: Record<string, string> = { ...configMap() };
      for (const e of (container.env ?? []) as EnvVar[]) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.name === 'DATABASE_URL') env[e.name] = 'postgres://user:placeholder@db.example:5432/mailstrata';
        else if (e.name === 'SECRETS_ENCRYPTION_KEYS') env[e.name] = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
        else env[e.name] = 'placeholder-secret';
      }
      const config = (() => {
        try {
          return loadConfig(env);
        } catch (error) {
          throw new Error(`${overlay} ${owner}: ${String(error)}`, { cause: error });
        }
      })();
      expect(config.env).toBe('production');
      expect(config.database.migrateOnStart).toBe(false);
      if (owner === 'Deployment/event-framework') expect(config.worker.inProcess).toBe(false);
      // With the NATS component the worker consumes from an operator-made stream; without it, no intake.
      if (owner === 'Deployment/event-worker') {
        expect(config.natsIntake?.createStream ?? false).toBe(false);
        expect(config.natsIntake !== undefined).toBe(overlay.includes('nats'));
      }
      if (owner !== 'Job/mailstrata-migrate') {
        expect(config.controllerSmtp?.password).toBe('placeholder-secret');
        expect(config.elastic?.password).toBe('placeholder-secret');
        // The drain and the shutdown deadline fit in the grace period Kubernetes gives before SIGKILL.
        expect(config.shutdown.drainDelayMs).toBeLessThan(config.shutdown.timeoutMs);
        expect(config.shutdown.timeoutMs).toBeLessThan(template.spec.terminationGracePeriodSeconds * 1000);
      }
    }
  });

  it('runs the right entry point from one image, pinned for the overlay', () => {
    const images = new Set(podTemplates().map(({ template }) => template.spec.containers[0].image));
    expect(images.size).toBe(1);
    const image = [...images][0] as string;
    expect(image).toMatch(/:[\w][\w.-]*$/);
    expect(image).not.toMatch(/:latest$/);
    const args = (kind: string, name: string) => find(kind, name).spec.template.spec.containers[0].args;
    expect(args('Deployment', 'event-framework')).toEqual(['dist/apps/event-framework/src/main.js']);
    expect(args('Deployment', 'event-worker')).toEqual(['dist/apps/event-worker/src/main.js']);
    expect(args('Job', 'mailstrata-migrate')).toEqual(['dist/apps/event-framework/src/migrate.js']);
  });

  it('probes /readyz for readiness and /healthz for liveness on declared ports', () => {
    for (const name of ['event-framework', 'event-worker']) {
      const c = find('Deployment', name).spec.template.spec.containers[0];
      const ports = new Set(c.ports.map((p: { name: string }) => p.name));
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(ports.has(c.readinessProbe.httpGet.port)).toBe(true);
      expect(ports.has(c.livenessProbe.httpGet.port)).toBe(true);
    }
    const worker = find('Deployment', 'event-worker').spec.template.spec.containers[0];
    expect(String(worker.ports[0].containerPort)).toBe(configMap().WORKER_HTTP_PORT);
  });

  it('runs every pod non-root with a read-only root filesystem, no capabilities, RuntimeDefault seccomp and resources', () => {
    for (const { owner, template } of podTemplates()) {
      const pod = template.spec;
      expect({ owner, ...pod.securityContext }).toMatchObject({ owner, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      const emptyDirs = new Set((pod.volumes ?? []).filter((v: any) => v.emptyDir).map((v: any) => v.name));
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        expect(c.resources.limits.memory).toBeDefined();
        const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
        expect(emptyDirs.has(tmp?.name)).toBe(true);
      }
    }
  });

  it('selects the right pods from the Service, PDBs, HPA and NetworkPolicy', () => {
    const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    for (const name of ['event-framework', 'event-worker']) {
      const d = find('Deployment', name);
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      expect(matches(find('PodDisruptionBudget', name).spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      const budget = find('PodDisruptionBudget', name).spec;
      // The API server refuses a budget with both.
      expect(budget.minAvailable === undefined || budget.maxUnavailable === undefined).toBe(true);
      expect(matches(find('NetworkPolicy', 'mailstrata-egress').spec.podSelector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    }
    const api = find('Deployment', 'event-framework').spec.template.metadata.labels;
    const worker = find('Deployment', 'event-worker').spec.template.metadata.labels;
    expect(matches(find('Service', 'event-framework').spec.selector, api)).toBe(true);
    expect(matches(find('Service', 'event-framework').spec.selector, worker)).toBe(false);
    const hpa = find('HorizontalPodAutoscaler', 'event-framework').spec;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'event-framework' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    const pdb = find('PodDisruptionBudget', 'event-framework').spec;
    if (pdb.minAvailable !== undefined) expect(pdb.minAvailable).toBeLessThan(hpa.minReplicas);
  });

  it('allows egress only to DNS, Postgres, Elasticsearch, SMTP and HTTPS, never the metadata address', () => {
    const policy = find('NetworkPolicy', 'mailstrata-egress').spec;
    expect(policy.policyTypes).toEqual(['Egress']);
    const allowed = new Set<string>();
    for (const rule of policy.egress) {
      for (const port of rule.ports) allowed.add(`${port.protocol}/${port.port}`);
      for (const peer of rule.to) if (peer.ipBlock) expect(peer.ipBlock.except).toContain('169.254.169.254/32');
    }
    // The NATS component (deploy/components/nats) adds the NATS client port.
    const nats = overlay.includes('nats') ? ['TCP/4222'] : [];
    expect([...allowed].sort()).toEqual(
      ['TCP/25', 'TCP/2525', 'TCP/443', 'TCP/465', 'TCP/53', 'TCP/5432', 'TCP/587', 'TCP/9200', 'UDP/53', ...nats].sort(),
    );
  });
});

it('has at least a dev and a production overlay, and production with NATS intake and with secret references', () => {
  expect(overlays).toEqual(expect.arrayContaining(['dev', 'production', 'production-nats', 'production-secret-refs']));
});
