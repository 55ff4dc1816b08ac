/**
 * @module wasi-http-host
 * The local stand-in for Spin: serves a transpiled WASI 0.2 HTTP component with preview2-shim's
 * HTTP server, denying what Spin denies a component with `allowed_outbound_hosts = []`. serve.mjs
 * copies this file next to jco's transpiled `app.js`, so both load the same preview2-shim.
 *
 * Why not `jco serve` as it is: its shim hands the component the host's environment, file system
 * and network (with a fresh instance per request there is no way to deny them from the command
 * line), and a component that traps or exits ends the whole server. Spin gives each request a new
 * instance and answers a trap with a 500; so does this host.
 */
import { readFileSync } from 'node:fs';
import * as cli from '@bytecodealliance/preview2-shim/cli';
import { HTTPServer, types } from '@bytecodealliance/preview2-shim/http';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { instantiate } from './app.js';

const coreModules = new Map();
function getCoreModule(path) {
  let module = coreModules.get(path);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(new URL(path, import.meta.url)));
    coreModules.set(path, module);
  }
  return module;
}

// What a component instance may reach: nothing beyond its own memory, the clocks and randomness.
const sandboxedCli = {
  ...cli,
  exit: {
    exit() {
      throw new Error('the component called wasi:cli/exit');
    },
  },
};
const newImports = () =>
  new WASIShim({ cli: sandboxedCli, sandbox: { env: {}, args: ['app'], preopens: {}, enableNetwork: false } }).getImportObject();

// Which requests the component answered, so a trap after the answer is not answered twice.
const answered = new WeakSet();
const setResponse = types.ResponseOutparam.set;
types.ResponseOutparam.set = function set(param, response) {
  answered.add(param);
  return setResponse.call(this, param, response);
};

function answerTrap(responseOutparam, error) {
  const problem = {
    type: 'about:blank',
    title: 'Component trapped',
    status: 500,
    code: 'component_trapped',
    detail: `the component instance trapped (${error?.message ?? error}) and was dropped; Spin answers a trap with a 500 too`,
  };
  const data = new TextEncoder().encode(JSON.stringify(problem));
  const headers = types.Fields.fromList([['content-type', new TextEncoder().encode('application/problem+json')]]);
  const response = new types.OutgoingResponse(headers);
  response.setStatusCode(500);
  const body = response.body();
  types.ResponseOutparam.set(responseOutparam, { tag: 'ok', val: response });
  const stream = body.write();
  for (let start = 0; start < data.length; start += 4096) stream.blockingWriteAndFlush(data.subarray(start, start + 4096));
  stream[Symbol.dispose]();
  types.OutgoingBody.finish(body, undefined);
}

/** Starts the server; `port` 0 picks a free one. Returns it with the port it listens on. */
export function serveComponent({ host, port, log = (line) => process.stderr.write(`${line}\n`) }) {
  const handler = {
    handle(request, responseOutparam) {
      try {
        instantiate(getCoreModule, newImports()).incomingHandler.handle(request, responseOutparam);
      } catch (error) {
        log(`code-runner-wasm host: the component trapped: ${error?.stack ?? error}`);
        if (!answered.has(responseOutparam)) answerTrap(responseOutparam, error);
      }
    },
  };
  const server = new HTTPServer(handler);
  server.listen(port, host);
  return { server, port: server.address().port };
}
