/**
 * @module quickjs-prelude
 * JavaScript evaluated in each fresh QuickJS context before the program: console, timers, a
 * fetch that goes through the host, and what the `umca:tools` module is built on. It only sees
 * the five host functions it is given, and takes them off the global object so the program finds
 * a tidy environment.
 */

/**
 * Where the prelude leaves the tool calls for the `umca:tools` module (tools-module.ts): a
 * non-enumerable global slot. A program that finds it gets no more than the module's `call`.
 */
export const TOOLS_SLOT = 'umca:tools';

export const QUICKJS_PRELUDE = String.raw`
(() => {
  const write = globalThis.__umca_write;
  const http = globalThis.__umca_http;
  const tool = globalThis.__umca_tool;
  const setTimer = globalThis.__umca_timer_set;
  const clearTimer = globalThis.__umca_timer_clear;
  for (const name of ['__umca_write', '__umca_http', '__umca_tool', '__umca_timer_set', '__umca_timer_clear']) delete globalThis[name];

  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const toBase64 = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
      out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
      out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
    }
    return out;
  };
  const fromBase64 = (text) => {
    const clean = text.replace(/=+$/, '');
    const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
    let bits = 0, value = 0, index = 0;
    for (const char of clean) {
      value = (value << 6) | ALPHABET.indexOf(char);
      bits += 6;
      if (bits >= 8) { bits -= 8; bytes[index++] = (value >> bits) & 255; }
    }
    return bytes;
  };
  const utf8Encode = (text) => {
    const bytes = [];
    for (const char of text) {
      let c = char.codePointAt(0);
      if (c < 0x80) bytes.push(c);
      else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(bytes);
  };

  const inspect = (value, depth = 0) => {
    if (typeof value === 'string') return depth === 0 ? value : JSON.stringify(value);
    if (typeof value === 'function') return '[Function ' + (value.name || '(anonymous)') + ']';
    if (typeof value === 'bigint') return value + 'n';
    if (typeof value === 'symbol' || value === undefined || value === null || typeof value !== 'object') return String(value);
    if (value instanceof Error) return value.stack ? value.name + ': ' + value.message + '\n' + value.stack : value.name + ': ' + value.message;
    if (depth > 2) return Array.isArray(value) ? '[Array]' : '[Object]';
    if (Array.isArray(value)) return '[ ' + value.map((item) => inspect(item, depth + 1)).join(', ') + ' ]';
    if (value instanceof Map) return 'Map(' + value.size + ') { ' + [...value].map(([k, v]) => inspect(k, depth + 1) + ' => ' + inspect(v, depth + 1)).join(', ') + ' }';
    if (value instanceof Set) return 'Set(' + value.size + ') { ' + [...value].map((v) => inspect(v, depth + 1)).join(', ') + ' }';
    const entries = Object.keys(value).map((key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)) + ': ' + inspect(value[key], depth + 1));
    return entries.length === 0 ? '{}' : '{ ' + entries.join(', ') + ' }';
  };
  const format = (args) => args.map((arg) => inspect(arg)).join(' ') + '\n';
  globalThis.console = {
    log: (...args) => write('stdout', format(args)),
    info: (...args) => write('stdout', format(args)),
    debug: (...args) => write('stdout', format(args)),
    warn: (...args) => write('stderr', format(args)),
    error: (...args) => write('stderr', format(args)),
  };

  const timers = new Map();
  let nextTimer = 1;
  const schedule = (callback, delay, args, repeat) => {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be a function');
    const id = nextTimer++;
    const ms = Math.max(0, Number(delay) || 0);
    timers.set(id, { callback, args, repeat: repeat ? ms : -1 });
    setTimer(id, ms);
    return id;
  };
  globalThis.setTimeout = (callback, delay, ...args) => schedule(callback, delay, args, false);
  globalThis.setInterval = (callback, delay, ...args) => schedule(callback, delay, args, true);
  globalThis.clearTimeout = globalThis.clearInterval = (id) => { if (timers.delete(id)) clearTimer(id); };
  globalThis.queueMicrotask = (callback) => { Promise.resolve().then(callback); };
  Object.defineProperty(globalThis, '__umca_fire', {
    value: (id) => {
      const timer = timers.get(id);
      if (!timer) return;
      if (timer.repeat < 0) timers.delete(id);
      else setTimer(id, timer.repeat);
      timer.callback(...timer.args);
    },
  });

  class Headers {
    #entries = [];
    constructor(init) {
      if (init instanceof Headers) init = [...init];
      else if (init && !Array.isArray(init)) init = Object.entries(init);
      for (const [name, value] of init ?? []) this.append(name, value);
    }
    append(name, value) { this.#entries.push([String(name).toLowerCase(), String(value)]); }
    set(name, value) { this.delete(name); this.append(name, value); }
    get(name) { const found = this.#entries.filter(([n]) => n === String(name).toLowerCase()); return found.length ? found.map(([, v]) => v).join(', ') : null; }
    has(name) { return this.#entries.some(([n]) => n === String(name).toLowerCase()); }
    delete(name) { this.#entries = this.#entries.filter(([n]) => n !== String(name).toLowerCase()); }
    forEach(callback) { for (const [n, v] of this.#entries) callback(v, n, this); }
    *entries() { yield* this.#entries; }
    *keys() { for (const [n] of this.#entries) yield n; }
    *values() { for (const [, v] of this.#entries) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }

  class Response {
    #bytes; #used = false;
    constructor(reply, url, redirected) {
      this.status = reply.status;
      this.statusText = reply.statusText;
      this.ok = reply.status >= 200 && reply.status < 300;
      this.headers = new Headers(reply.headers);
      this.url = url;
      this.redirected = redirected;
      this.#bytes = fromBase64(reply.body);
    }
    #take() { if (this.#used) throw new TypeError('Body has already been consumed'); this.#used = true; return this.#bytes; }
    get bodyUsed() { return this.#used; }
    async arrayBuffer() { return this.#take().buffer; }
    async bytes() { return this.#take(); }
    async text() {
      const bytes = this.#take();
      let text = '';
      for (let i = 0; i < bytes.length; i++) text += '%' + bytes[i].toString(16).padStart(2, '0');
      try { return decodeURIComponent(text); } catch { return String.fromCharCode(...bytes); }
    }
    async json() { return JSON.parse(await this.text()); }
  }

  globalThis.Headers = Headers;
  globalThis.Response = Response;
  globalThis.fetch = async (input, init = {}) => {
    let url = typeof input === 'string' ? input : String(input?.url ?? input);
    let method = String(init.method ?? 'GET').toUpperCase();
    // The Fetch standard's forbidden methods, refused at once as undici does; the host refuses them too.
    if (method === 'CONNECT' || method === 'TRACE' || method === 'TRACK') throw new TypeError("'" + method + "' HTTP method is unsupported.");
    const headers = [...new Headers(init.headers)];
    let body = init.body === undefined || init.body === null ? '' : init.body;
    if (typeof body === 'string') body = toBase64(utf8Encode(body));
    else if (body instanceof Uint8Array) body = toBase64(body);
    else if (body instanceof ArrayBuffer) body = toBase64(new Uint8Array(body));
    else throw new TypeError('fetch in the UMCA sandbox accepts a string, Uint8Array or ArrayBuffer body');
    const redirect = init.redirect ?? 'follow';
    for (let hop = 0; hop <= 20; hop++) {
      const reply = JSON.parse(http(JSON.stringify({ method, url, headers, body })));
      if (reply.error) throw new TypeError('fetch failed: ' + reply.error);
      const location = reply.headers.find(([name]) => name.toLowerCase() === 'location')?.[1];
      if ([301, 302, 303, 307, 308].includes(reply.status) && location && redirect !== 'manual') {
        if (redirect === 'error') throw new TypeError('fetch failed: redirect to ' + location + ' with redirect: "error"');
        url = new URLResolver(location, url).href;
        if (reply.status === 303 || ((reply.status === 301 || reply.status === 302) && method === 'POST')) { method = 'GET'; body = ''; }
        continue;
      }
      return new Response(reply, url, hop > 0);
    }
    throw new TypeError('fetch failed: more than 20 redirects');
  };

  class ToolCallError extends Error {
    constructor(message, { code, tool } = {}) {
      super(message);
      this.code = code;
      this.tool = tool;
    }
  }
  class ToolDenied extends ToolCallError {}
  class ToolUnavailable extends ToolCallError {}
  class ToolArgumentsError extends ToolCallError {}
  class ToolError extends ToolCallError {}
  const errors = { ToolCallError, ToolDenied, ToolUnavailable, ToolArgumentsError, ToolError };
  for (const [name, type] of Object.entries(errors)) Object.defineProperty(type.prototype, 'name', { value: name, writable: true, configurable: true });
  const ERRORS = {
    denied: ToolDenied, budget_exhausted: ToolDenied, invalid_arguments: ToolArgumentsError,
    server_down: ToolUnavailable, timeout: ToolUnavailable, call_failed: ToolUnavailable, cancelled: ToolUnavailable,
  };
  const isPlainObject = (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  };
  // Async for the program (its functions return promises); the host call itself blocks.
  const call = async (name, args) => {
    args ??= {};
    if (typeof name !== 'string') throw new TypeError("the tool's name must be a string, like 'ragflow__ragflow_retrieval'");
    if (!isPlainObject(args)) {
      throw new ToolArgumentsError('the arguments of ' + name + ' must be a plain object (names to values)', { code: 'invalid_arguments', tool: name });
    }
    let json;
    try { json = JSON.stringify(args); } catch (error) {
      throw new ToolArgumentsError('the arguments of ' + name + ' cannot be sent as JSON: ' + error.message, { code: 'invalid_arguments', tool: name });
    }
    const reply = JSON.parse(tool(name, json));
    if (!reply.ok) throw new (ERRORS[reply.code] ?? ToolCallError)(reply.message, { code: reply.code, tool: name });
    if (reply.isError) throw new ToolError(reply.text, { code: 'tool_error', tool: name });
    return reply.structured !== undefined ? reply.structured : reply.text;
  };
  // One server's namespace: [[its name for the tool, UMCA's name], ...] as async functions.
  const bind = (functions) => {
    const namespace = Object.create(null);
    for (const [name, umcaName] of functions) {
      const fn = { async [name](args) { return call(umcaName, args); } }[name];
      Object.defineProperty(namespace, name, { value: fn, enumerable: true });
    }
    return Object.freeze(namespace);
  };
  Object.defineProperty(globalThis, Symbol.for('${TOOLS_SLOT}'), { value: Object.freeze({ call, bind, ...errors }) });

  // Resolves a Location header against the URL that returned it (QuickJS has no URL class).
  function URLResolver(location, base) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(location)) { this.href = location; return; }
    const origin = base.match(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i)[0];
    if (location.startsWith('//')) { this.href = base.split(':')[0] + ':' + location; return; }
    if (location.startsWith('/')) { this.href = origin + location; return; }
    const path = base.slice(origin.length).split(/[?#]/)[0];
    this.href = origin + path.slice(0, path.lastIndexOf('/') + 1) + location;
  }
})();
`;
