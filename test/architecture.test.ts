/**
 * The map, checked: the import graph has the contracts (with the ports) at the bottom, the run
 * service under the apps, implementations that know only the contracts, no app reaching into
 * another's files, and no loop. Read from the package manifests and every source file's imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };

interface Workspace {
  folder: string;
  name: string;
  isApp: boolean;
  dependencies: string[];
  /** Every module specifier in its src/, by file. */
  imports: Array<{ file: string; specifier: string }>;
}

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|mts|tsx)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?<![\w.])import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

const workspaces: Workspace[] = rootManifest.workspaces.map((folder) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
  };
  const imports = sourceFiles(join(ROOT, folder, 'src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => ({
      file: relative(ROOT, file),
      specifier: (match[1] ?? match[2] ?? match[3]) as string,
    })),
  );
  return {
    folder,
    name: manifest.name,
    isApp: folder.startsWith('apps/'),
    dependencies: Object.keys(manifest.dependencies ?? {}),
    imports,
  };
});
const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
const internal = (workspace: Workspace) => workspace.dependencies.filter((name) => byName.has(name));
const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);

describe('the architecture', () => {
  it('has @umca/contracts at the bottom: it imports nothing but zod', () => {
    const contracts = byName.get('@umca/contracts') as Workspace;
    expect(contracts.dependencies).toEqual(['zod']);
    const outside = contracts.imports.filter(({ specifier }) => !specifier.startsWith('.') && specifier !== 'zod');
    expect(outside).toEqual([]);
  });

  it('declares every package a source file imports, and imports each through its entry only', () => {
    for (const workspace of workspaces) {
      for (const { file, specifier } of workspace.imports) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const name = packageOf(specifier) as string;
        if (byName.has(name)) expect(specifier, `${file} reaches into ${name}`).toBe(name);
        expect(workspace.dependencies, `${file} imports ${name}, which ${workspace.name} does not declare`).toContain(name);
      }
    }
  });

  it('keeps each app out of the others’ files and every package below every app', () => {
    for (const workspace of workspaces) {
      for (const { file, specifier } of workspace.imports) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(ROOT, resolve(ROOT, file, '..', specifier));
        expect(target.startsWith(`${workspace.folder}/`), `${file} imports ${specifier}, outside its own folder`).toBe(true);
      }
      if (!workspace.isApp) {
        const apps = internal(workspace).filter((name) => byName.get(name)?.isApp);
        expect(apps, `${workspace.name} depends on an app`).toEqual([]);
      }
    }
  });

  it('lets the implementations of the ports know only the contracts (and the policy they enforce, the spans they make)', () => {
    const allowed = new Set(['@umca/contracts', '@umca/policy', '@umca/tracing']);
    for (const name of [
      '@umca/runner',
      '@umca/store',
      '@umca/events',
      '@umca/models',
      '@umca/agents',
      '@umca/policy',
      '@umca/client',
      '@umca/tracing',
      '@umca/upstream-tools',
    ]) {
      const workspace = byName.get(name) as Workspace;
      expect(
        internal(workspace).filter((dependency) => !allowed.has(dependency)),
        name,
      ).toEqual([]);
    }
    const runs = byName.get('@umca/runs') as Workspace;
    expect(internal(runs).sort()).toEqual(['@umca/agents', '@umca/contracts', '@umca/policy', '@umca/tracing']);
    // Evaluations run tasks through whatever runs them (EvalTarget) and check programs with the flow's harness.
    expect(internal(byName.get('@umca/evals') as Workspace).sort()).toEqual(['@umca/agents', '@umca/contracts']);
    // The spans need only the OpenTelemetry API: the SDK (where spans go) is the composition root's.
    const tracing = byName.get('@umca/tracing') as Workspace;
    expect(tracing.dependencies.filter((name) => name.startsWith('@opentelemetry/'))).toEqual(['@opentelemetry/api']);
  });

  it('has no loop of dependencies', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (done.has(name)) return;
      expect(visiting.has(name), `loop: ${[...path, name].join(' -> ')}`).toBe(false);
      visiting.add(name);
      for (const dependency of internal(byName.get(name) as Workspace)) visit(dependency, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const workspace of workspaces) visit(workspace.name, []);
  });
});
