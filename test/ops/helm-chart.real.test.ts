/**
 * infra/helm/umca, checked without a cluster (none runs here, so nothing is installed): `helm lint
 * --strict`; `helm template` with the smallest working values (ci/minimal-values.yaml) and with
 * every feature on (ci/all-features-values.yaml); kubeconform -strict of what it renders against
 * the Kubernetes JSON schemas and SpinKube's SpinApp schema; the chart's promises read off the
 * rendered objects (docs/helm.md); the environment it gives UMCA accepted by UMCA's own
 * configuration parser; and bad values refused by helm with a message naming the value.
 * Tools: sh scripts/setup-helm-tools.sh.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModelSettings, checkScaleOut, resolveServerConfig } from '@umca/orchestrator';
import { readMcpServers } from '@umca/upstream-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  CHART_DIR,
  findHelmTools,
  findObject,
  type HelmTools,
  helmTemplate,
  type K8sObject,
  kubeconform,
  parseObjects,
  ROOT,
  runTool,
} from '../support/helm-chart.js';

const MINIMAL = 'ci/minimal-values.yaml';
const ALL = 'ci/all-features-values.yaml';

let tools: HelmTools;
const rendered: Record<string, { text: string; objects: K8sObject[] }> = {};
const work = mkdtempSync(join(tmpdir(), 'umca-helm-'));

beforeAll(async () => {
  tools = await findHelmTools();
  for (const file of [MINIMAL, ALL]) {
    const result = await helmTemplate(tools, [file]);
    if (result.code !== 0) throw new Error(`helm template with ${file} failed: ${result.stderr}`);
    rendered[file] = { text: result.stdout, objects: parseObjects(result.stdout) };
  }
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const objects = (file: string) => rendered[file]?.objects ?? [];
const podSpec = (deployment: K8sObject) => deployment.spec.template.spec;
const container = (deployment: K8sObject) => podSpec(deployment).containers[0];
const envValue = (deployment: K8sObject, name: string) =>
  (container(deployment).env as Array<{ name: string; value?: string }>).find((entry) => entry.name === name)?.value;

describe('the Helm chart infra/helm/umca', () => {
  it('passes helm lint --strict with the minimal and the all-features values', async () => {
    for (const file of [MINIMAL, ALL]) {
      const result = await runTool(tools.helm, ['lint', '--strict', CHART_DIR, '--values', join(CHART_DIR, file)]);
      expect(result.code, `${file}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders what each values file asks for, and validates against the Kubernetes and SpinKube schemas (kubeconform -strict)', async () => {
    const kinds = (file: string) => objects(file).map((object) => `${object.kind}/${object.metadata.name}`);
    expect(kinds(MINIMAL).sort()).toEqual(
      [
        'Deployment/umca-orchestrator',
        'Deployment/umca-worker',
        'HorizontalPodAutoscaler/umca-worker',
        'NetworkPolicy/umca-default-deny-egress',
        'NetworkPolicy/umca-orchestrator',
        'NetworkPolicy/umca-worker',
        'PodDisruptionBudget/umca-orchestrator',
        'Secret/umca-env',
        'Service/umca-orchestrator',
        'ServiceAccount/umca',
      ].sort(),
    );
    expect(kinds(ALL)).toEqual(
      expect.arrayContaining([
        'ConfigMap/umca-config',
        'Ingress/umca',
        'RuntimeClass/kata',
        'SpinApp/umca-code-runner-wasm',
        'Secret/umca-code-runner-wasm-runtime-config',
        'NetworkPolicy/umca-code-runner-wasm',
      ]),
    );
    // Secrets made outside the chart (secrets.existingSecret, localTokens.existingSecret) are not rendered.
    expect(kinds(ALL)).not.toContain('Secret/umca-env');
    for (const file of [MINIMAL, ALL]) {
      const result = await kubeconform(tools, rendered[file]?.text ?? '');
      expect(result.messages, file).toEqual([]);
      expect(result.summary, file).toEqual({ valid: objects(file).length, invalid: 0, errors: 0, skipped: 0 });
      expect(result.code, file).toBe(0);
    }
  });

  it('has a validation that can fail: kubeconform refuses a SpinApp without its executor and a misspelt field', async () => {
    const broken = (rendered[ALL]?.text ?? '').replace('executor: containerd-shim-spin', 'executr: containerd-shim-spin');
    expect(broken).not.toBe(rendered[ALL]?.text);
    const result = await kubeconform(tools, broken);
    expect(result.code).not.toBe(0);
    expect(result.summary.invalid).toBe(1);
    expect(result.messages.join('\n')).toMatch(/SpinApp umca-code-runner-wasm: .*missing property 'executor'/);
  });

  it('runs every container as a non-root user without privileges, on a read-only root file system, without a service account token', () => {
    const deployments = objects(ALL).filter((object) => object.kind === 'Deployment');
    expect(deployments).toHaveLength(2);
    for (const deployment of deployments) {
      const spec = podSpec(deployment);
      const name = deployment.metadata.name;
      expect(spec.securityContext, name).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
      expect(spec.automountServiceAccountToken, name).toBe(false);
      expect(spec.serviceAccountName, name).toBe('umca');
      for (const each of spec.containers) {
        expect(each.securityContext, name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(each.securityContext.privileged, name).toBeUndefined();
        expect(each.securityContext.capabilities.add, name).toBeUndefined();
        // Writable only where UMCA writes: its data directory and /tmp.
        expect(
          each.volumeMounts
            .filter((mount: { readOnly?: boolean }) => !mount.readOnly)
            .map((mount: { mountPath: string }) => mount.mountPath)
            .sort(),
        ).toEqual(['/tmp', '/var/lib/umca']);
      }
    }
    const orchestrator = findObject(objects(ALL), 'Deployment', '-orchestrator');
    expect(podSpec(orchestrator).securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    // Only the workers start sandboxes, so only they get bubblewrap's profile, in a user namespace of their own.
    const worker = findObject(objects(ALL), 'Deployment', '-worker');
    expect(podSpec(worker)).toMatchObject({ hostUsers: false, securityContext: { seccompProfile: { type: 'Unconfined' } } });
    expect(container(worker).securityContext.procMount).toBe('Unmasked');
    expect(findObject(objects(ALL), 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it('probes the orchestrator on /healthz (liveness) and /readyz (readiness), and keeps replicas up with a PodDisruptionBudget', () => {
    const orchestrator = findObject(objects(ALL), 'Deployment', '-orchestrator');
    expect(orchestrator.spec.replicas).toBe(3);
    expect(container(orchestrator).livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container(orchestrator).readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container(orchestrator).ports).toEqual([{ name: 'http', containerPort: 8787, protocol: 'TCP' }]);
    const pdb = findObject(objects(ALL), 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(2);
    expect(pdb.spec.selector.matchLabels).toEqual(orchestrator.spec.selector.matchLabels);
    expect(orchestrator.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    const service = findObject(objects(ALL), 'Service');
    expect(service.spec.selector).toEqual(orchestrator.spec.selector.matchLabels);
  });

  it('scales the workers on queue depth: an External umca_runs_queued metric per worker, and CPU', () => {
    const hpa = findObject(objects(ALL), 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'umca-worker' },
      minReplicas: 2,
      maxReplicas: 20,
    });
    const [queue, cpu] = hpa.spec.metrics;
    expect(queue).toEqual({
      type: 'External',
      external: {
        metric: { name: 'umca_runs_queued', selector: { matchLabels: { service: 'umca-orchestrator' } } },
        target: { type: 'AverageValue', averageValue: '8' },
      },
    });
    expect(cpu).toMatchObject({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } });
    // The HPA owns the count.
    expect(findObject(objects(ALL), 'Deployment', '-worker').spec.replicas).toBeUndefined();
  });

  it('denies egress by default to every pod, and opens it one destination at a time', async () => {
    const policies = objects(ALL).filter((object) => object.kind === 'NetworkPolicy');
    const deny = findObject(policies, 'NetworkPolicy', '-default-deny-egress');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
    // No rule anywhere opens a port to everyone: each names where it goes.
    for (const policy of policies) {
      for (const rule of policy.spec.egress ?? []) expect(rule.to?.length, policy.metadata.name).toBeGreaterThan(0);
    }
    const ports = (name: string) =>
      findObject(policies, 'NetworkPolicy', name).spec.egress.map((rule: { ports: Array<{ port: number }> }) =>
        rule.ports.map((port) => port.port).join('/'),
      );
    // DNS, PostgreSQL, RocketMQ, Phoenix, then Keycloak, the model endpoints and the MCP servers.
    expect(ports('-orchestrator')).toEqual(['53/53', '5432', '8081', '6006', '443', '8000', '443', '9382']);
    // The workers: the store, the bus, traces and what runs may reach; no ingress at all.
    const worker = findObject(policies, 'NetworkPolicy', '-worker');
    expect(ports('-worker')).toEqual(['53/53', '5432', '8081', '6006', '443']);
    expect(worker.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(worker.spec.ingress).toEqual([]);
    expect(worker.spec.podSelector.matchLabels).toEqual(findObject(objects(ALL), 'Deployment', '-worker').spec.selector.matchLabels);
    // The Spin app reaches nothing and is reached from where it is allowed to be.
    const spin = findObject(policies, 'NetworkPolicy', '-code-runner-wasm');
    expect(spin.spec).toMatchObject({ policyTypes: ['Ingress', 'Egress'], egress: [] });
    expect(spin.spec.podSelector.matchLabels).toEqual(findObject(objects(ALL), 'SpinApp').spec.podLabels);
    // Turned off, there is none, and no destination needs peers.
    const off = await helmTemplate(tools, [MINIMAL], ['networkPolicy.enabled=false', 'postgres.networkPeers=null']);
    expect(off.stderr).toBe('');
    expect(parseObjects(off.stdout).filter((object) => object.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('runs the container lane in Kata: the RuntimeClass, and the workers that use it', () => {
    const runtimeClass = findObject(objects(ALL), 'RuntimeClass');
    expect(runtimeClass).toMatchObject({
      apiVersion: 'node.k8s.io/v1',
      metadata: { name: 'kata' },
      handler: 'kata',
      overhead: { podFixed: { cpu: '250m', memory: '160Mi' } },
      scheduling: { nodeSelector: { 'katacontainers.io/kata-runtime': 'true' } },
    });
    const worker = findObject(objects(ALL), 'Deployment', '-worker');
    expect(podSpec(worker).runtimeClassName).toBe('kata');
    expect(envValue(worker, 'UMCA_CONTAINER_LANE')).toBe('1');
    // Off by default: no Kata, no container lane.
    const minimalWorker = findObject(objects(MINIMAL), 'Deployment', '-worker');
    expect(podSpec(minimalWorker).runtimeClassName).toBeUndefined();
    expect(envValue(minimalWorker, 'UMCA_CONTAINER_LANE')).toBeUndefined();
  });

  it('deploys spin/code-runner-wasm as a SpinApp with the executor, checks and memory limit of its own spinapp.yaml', () => {
    const spinApp = findObject(objects(ALL), 'SpinApp');
    const own = parseYaml(readFileSync(join(ROOT, 'spin/code-runner-wasm/spinapp.yaml'), 'utf8').split('\n---\n')[0] ?? '');
    expect(spinApp.apiVersion).toBe('core.spinkube.dev/v1alpha1');
    expect(spinApp.spec).toMatchObject({
      image: 'registry.example.com/umca/code-runner-wasm:0.1.0',
      executor: own.spec.executor,
      replicas: 3,
      checks: own.spec.checks,
      runtimeConfig: { loadFromSecret: 'umca-code-runner-wasm-runtime-config' },
    });
    const runtimeConfig = findObject(objects(ALL), 'Secret', '-runtime-config');
    expect(runtimeConfig.stringData['runtime-config.toml'].trim()).toBe('max_instance_memory = 268435456');
  });

  it('gives UMCA settings its own parser accepts: the orchestrator scaled out, behind Keycloak and its own tokens, with its policy and MCP servers', () => {
    const orchestrator = findObject(objects(ALL), 'Deployment', '-orchestrator');
    const configMap = findObject(objects(ALL), 'ConfigMap');
    const etc = join(work, 'etc');
    const data = join(work, 'data');
    mkdirSync(etc, { recursive: true });
    mkdirSync(join(data, 'auth'), { recursive: true });
    for (const [name, text] of Object.entries(configMap.data as Record<string, string>)) writeFileSync(join(etc, name), text);
    // Stand-ins for what the operator's Secrets hold (secrets.existingSecret, localTokens.existingSecret).
    writeFileSync(join(data, 'auth', 'signing-keys.json'), '{"version":1,"current":"k","keys":[]}');
    const secret = { UMCA_STORE: 'postgres://umca:secret@postgres.databases.svc:5432/umca', DEEPSEEK_API_KEY: 'sk-test' };
    const env = environmentOf(orchestrator, secret, { '/etc/umca': etc, '/var/lib/umca': data });
    const config = resolveServerConfig({ env, cwd: work });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8787,
      workers: 'remote',
      store: secret.UMCA_STORE,
      bus: 'rocketmq://rocketmq-proxy.rocketmq.svc:8081',
      oidcIssuer: 'https://sso.example.com/realms/umca',
      oidcAudience: 'umca',
      oidcClientId: 'umca-public',
      oidcRolesClaims: ['realm_access.roles', 'groups'],
      publicUrl: 'https://umca.example.com',
      containerLane: true,
      otlpEndpoint: 'http://phoenix.observability.svc:6006',
      model: 'vllm:Qwen/Qwen2.5-Coder-7B-Instruct',
      policy: join(etc, 'policy.yaml'),
    });
    // Clients reach it by the Service's names and the Ingress's host: each is a Host it answers to.
    expect(config.allowedHosts).toEqual(
      expect.arrayContaining([
        'umca-orchestrator:8787',
        'umca-orchestrator.umca.svc:8787',
        'umca-orchestrator.umca.svc.cluster.local:8787',
        'umca.example.com',
      ]),
    );
    expect(() => checkModelSettings(config, env)).not.toThrow();
    expect(readMcpServers(config.mcpConfig ?? '', env).map((server) => server.name)).toEqual(['ragflow']);
    // The chart refuses what UMCA refuses: the same settings without any authentication.
    const { UMCA_OIDC_ISSUER: _, ...unauthenticated } = env;
    rmSync(join(data, 'auth'), { recursive: true });
    expect(() => resolveServerConfig({ env: unauthenticated, cwd: work })).toThrow(/no authentication is configured/);
  });

  it("gives the workers the store and the bus, and none of the orchestrator's model keys", () => {
    for (const file of [MINIMAL, ALL]) {
      const worker = findObject(objects(file), 'Deployment', '-worker');
      expect(container(worker).args).toEqual(['worker']);
      expect(container(worker).envFrom, file).toBeUndefined();
      const fromSecrets = (container(worker).env as Array<{ name: string; valueFrom?: unknown }>).filter((entry) => entry.valueFrom);
      expect(fromSecrets.map((entry) => entry.name)).toEqual(['UMCA_STORE']);
      const env = environmentOf(worker, { UMCA_STORE: 'postgres://umca:secret@postgres:5432/umca' }, {});
      expect(checkScaleOut({ store: env.UMCA_STORE ?? '', bus: env.UMCA_BUS ?? '' }, {}, 'worker')).toEqual([]);
      const config = resolveServerConfig({ env, cwd: work });
      expect(config.concurrency).toBe(file === ALL ? 4 : 2);
      expect(Number(env.UMCA_WORKER_LEASE_SECONDS)).toBe(30);
      expect(podSpec(worker).terminationGracePeriodSeconds).toBeGreaterThan(300);
    }
    const minimalSecret = findObject(objects(MINIMAL), 'Secret', '-env');
    expect(minimalSecret.stringData).toEqual({ UMCA_STORE: 'postgres://umca:change-me@postgres.databases.svc:5432/umca' });
  });

  it('refuses bad values with a message that names the value', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['orchestrator.replicas=-1'], /at '\/orchestrator\/replicas': minimum: got -1, want 1/],
      [['worker.concurrency=0'], /at '\/worker\/concurrency': minimum/],
      [['worker.leaseSeconds=7200'], /at '\/worker\/leaseSeconds': maximum/],
      [['rocketmq.endpoint=rocketmq'], /at '\/rocketmq\/endpoint': 'rocketmq' does not match pattern/],
      [['orchestrater.replicas=2'], /additional properties 'orchestrater' not allowed/],
      [['postgres.url=mysql://db/umca'], /at '\/postgres\/url'/],
      [['rocketmq.endpoint='], /rocketmq\.endpoint is required/],
      [['postgres.url='], /postgres\.url is required/],
      [['keycloak.issuer='], /refuses to start without authentication: set keycloak\.issuer/],
      [['spinApp.enabled=true'], /spinApp\.enabled needs spinApp\.image/],
      [['postgres.networkPeers=null'], /set postgres\.networkPeers/],
      [['secrets.existingSecret=mine'], /leave postgres\.url and secrets\.env empty/],
      [['localTokens.enabled=true', 'keycloak.issuer='], /localTokens\.enabled needs its signing keys/],
    ];
    for (const [sets, message] of cases) {
      const result = await helmTemplate(tools, [MINIMAL], sets);
      expect(result.code, sets.join(' ')).not.toBe(0);
      expect(result.stderr, sets.join(' ')).toMatch(message);
      expect(result.stdout, sets.join(' ')).toBe('');
    }
    // The chart's defaults alone miss what has no default, and say the first of them.
    const bare = await helmTemplate(tools, []);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/rocketmq\.endpoint is required/);
  }, 120_000);
});

/**
 * A container's environment as the kubelet would give it: plain values, values from the Secret
 * (`secretKeyRef`, `envFrom`) taken from `secret`, and paths under the pod's mounts moved to the
 * folders that stand in for them here.
 */
function environmentOf(deployment: K8sObject, secret: Record<string, string>, mounts: Record<string, string>): NodeJS.ProcessEnv {
  const each = container(deployment);
  const env: NodeJS.ProcessEnv = {};
  if (each.envFrom) Object.assign(env, secret);
  for (const entry of each.env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }>) {
    let value = entry.valueFrom ? secret[entry.valueFrom.secretKeyRef.key] : entry.value;
    for (const [from, to] of Object.entries(mounts)) if (value?.startsWith(from)) value = to + value.slice(from.length);
    env[entry.name] = value;
  }
  return env;
}
