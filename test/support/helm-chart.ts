/**
 * Drives infra/helm/umca with the real tools scripts/setup-helm-tools.sh installs (Helm 4,
 * kubeconform, the Kubernetes and SpinKube JSON schemas): render it, lint it, validate what it
 * renders, and read the rendered objects back as plain data.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(ROOT, 'infra/helm/umca');
export const SETUP_HINT =
  'run sh scripts/setup-helm-tools.sh first (Helm, kubeconform and the JSON schemas; about 20 minutes the first time)';

/** A Kubernetes object as rendered; the tests read into it by path. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML, read by the assertions.
  [key: string]: any;
};

export interface HelmTools {
  helm: string;
  kubeconform: string;
  /** kubeconform's -kubernetes-version, from the schemas that were made. */
  kubernetesVersion: string;
  schemaLocations: string[];
}

/** Where setup-helm-tools.sh put the tools; throws with the fix when they are not there. */
export async function findHelmTools(): Promise<HelmTools> {
  const { stdout } = await run('sh', [join(ROOT, 'scripts/setup-helm-tools.sh'), '--print-dir']);
  const dir = stdout.trim();
  const versions = existsSync(join(dir, 'versions.txt')) ? readFileSync(join(dir, 'versions.txt'), 'utf8') : '';
  const kubernetesVersion = /^kubernetes v(\S+)$/m.exec(versions)?.[1];
  const tools = { helm: join(dir, 'bin/helm'), kubeconform: join(dir, 'bin/kubeconform') };
  if (!kubernetesVersion || !existsSync(tools.helm) || !existsSync(tools.kubeconform)) {
    throw new Error(`the Helm tools are not in ${dir}: ${SETUP_HINT}`);
  }
  return {
    ...tools,
    kubernetesVersion,
    schemaLocations: [
      `${dir}/kubernetes-json-schema/{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`,
      `${dir}/spinkube-json-schema/{{.ResourceKind}}{{.KindSuffix}}.json`,
    ],
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool to its end, with optional standard input; never throws for a non-zero exit. */
export function runTool(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** `helm template` of the chart with these values files (under the chart) and --set pairs. */
export function helmTemplate(tools: HelmTools, valuesFiles: readonly string[], sets: readonly string[] = []): Promise<CommandResult> {
  return runTool(tools.helm, [
    'template',
    'umca',
    CHART_DIR,
    '--namespace',
    'umca',
    ...valuesFiles.flatMap((file) => ['--values', join(CHART_DIR, file)]),
    ...sets.flatMap((pair) => ['--set', pair]),
  ]);
}

/** The objects of a multi-document YAML stream, empty documents left out. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`rendered YAML does not parse: ${document.errors[0]?.message}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

export interface KubeconformSummary {
  valid: number;
  invalid: number;
  errors: number;
  skipped: number;
}

/** kubeconform -strict of a YAML stream: its exit code, its summary and what it said about each invalid object. */
export async function kubeconform(
  tools: HelmTools,
  manifests: string,
): Promise<{ code: number; summary: KubeconformSummary; messages: string[] }> {
  const result = await runTool(
    tools.kubeconform,
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-kubernetes-version',
      tools.kubernetesVersion,
      ...tools.schemaLocations.flatMap((location) => ['-schema-location', location]),
      '-',
    ],
    manifests,
  );
  const report = JSON.parse(result.stdout) as {
    resources?: Array<{ kind: string; name: string; status: string; msg: string }>;
    summary: KubeconformSummary;
  };
  return {
    code: result.code,
    summary: report.summary,
    messages: (report.resources ?? []).filter((resource) => resource.status !== 'statusValid').map((r) => `${r.kind} ${r.name}: ${r.msg}`),
  };
}

/** The one object of this kind whose name ends so; throws when there is not exactly one. */
export function findObject(objects: readonly K8sObject[], kind: string, nameSuffix = ''): K8sObject {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} named *${nameSuffix}, found ${found.length}`);
  return found[0] as K8sObject;
}
