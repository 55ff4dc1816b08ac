#!/usr/bin/env node
/**
 * @module serve
 * Serves app.wasm on this machine, where the `spin` CLI cannot be had: jco (npm) transpiles the
 * component for Node, and wasi-http-host.mjs serves it the way Spin would (see that file).
 *
 *   node spin/code-runner-wasm/serve.mjs [--port 3000] [--host 127.0.0.1]   (--port 0: a free one)
 *
 * Prints `listening on http://HOST:PORT` once the app answers; stops on SIGINT or SIGTERM.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '../..');
const JCO_VERSION = '1.35.0';
const JCO_PACKAGE = join(ROOT, 'node_modules/.umca-jco/node_modules/@bytecodealliance/jco/package.json');
const CACHE = join(ROOT, 'node_modules/.cache/umca-spin-app');

const { values } = parseArgs({
  options: { port: { type: 'string', default: '3000' }, host: { type: 'string', default: '127.0.0.1' }, component: { type: 'string' } },
});
const component = resolve(values.component ?? join(HERE, 'app.wasm'));
if (!existsSync(component)) fail(`${component} is missing: build it with sh spin/code-runner-wasm/build.sh`);
if (!existsSync(JCO_PACKAGE) || JSON.parse(readFileSync(JCO_PACKAGE, 'utf8')).version !== JCO_VERSION) {
  fail(`jco ${JCO_VERSION} is not installed: run sh scripts/setup-test-tools.sh (it installs it into node_modules/.umca-jco)`);
}

// componentize-py's CPython uses extended constant expressions: standard from V8 11.4 (Node 22),
// behind a flag in Node 20. Set before any of the component is compiled.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-extended-const');

const folder = await transpiled(component);
const { serveComponent } = await import(pathToFileURL(join(folder, 'wasi-http-host.mjs')).href);
const { server, port } = serveComponent({ host: values.host, port: Number(values.port) });
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const url = `http://${values.host.includes(':') ? `[${values.host}]` : values.host}:${port}`;
const health = await fetch(`${url}/healthz`).catch((error) => error);
if (!(health instanceof Response) || !health.ok) fail(`${url}/healthz did not answer 200: ${health?.status ?? health}`);
process.stdout.write(`listening on ${url}\n`);

/**
 * jco's output for this component, with the host module beside it, in a folder named after the
 * component's hash: transpiling takes seconds, and the folder is reused until app.wasm changes.
 */
async function transpiled(componentPath) {
  const bytes = readFileSync(componentPath);
  const hostSource = readFileSync(join(HERE, 'wasi-http-host.mjs'));
  const hash = createHash('sha256').update(bytes).update(JCO_VERSION).digest('hex').slice(0, 16);
  const target = join(CACHE, hash);
  if (!existsSync(join(target, 'app.js'))) {
    const { transpile } = await import(pathToFileURL(join(dirname(JCO_PACKAGE), 'dist/api.js')).href);
    const { files } = await transpile(bytes, { name: 'app', instantiation: 'sync', noTypescript: true, quiet: true });
    const staging = `${target}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(dirname(join(staging, name)), { recursive: true });
      writeFileSync(join(staging, name), data);
    }
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
    // The generated code imports preview2-shim by name: the one jco itself depends on.
    const shimEntry = createRequire(JCO_PACKAGE).resolve('@bytecodealliance/preview2-shim');
    mkdirSync(join(staging, 'node_modules/@bytecodealliance'), { recursive: true });
    symlinkSync(resolve(dirname(shimEntry), '../..'), join(staging, 'node_modules/@bytecodealliance/preview2-shim'), 'dir');
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    // An older build's folder is of no more use (about 20 MB each).
    for (const entry of readdirSync(CACHE)) {
      if (entry !== hash && !entry.includes('.')) rmSync(join(CACHE, entry), { recursive: true, force: true });
    }
  }
  if (!existsSync(join(target, 'wasi-http-host.mjs')) || !readFileSync(join(target, 'wasi-http-host.mjs')).equals(hostSource)) {
    copyFileSync(join(HERE, 'wasi-http-host.mjs'), join(target, 'wasi-http-host.mjs'));
  }
  return target;
}

function fail(message) {
  process.stderr.write(`code-runner-wasm serve: ${message}\n`);
  process.exit(1);
}
