/**
 * @module zygote-process
 * Starts and talks to the sandbox zygote. The host hands the zygote one end of a fresh socket pair
 * per child (SCM_RIGHTS), so each child's channel is private: no other child, and not the zygote,
 * can read it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import type { Logger } from '@umca/contracts';
import { loadSandboxAddon, type SandboxAddon } from '../internal/native-addon.js';
import type { ZygoteCommand, ZygoteReport } from '../sandbox/protocol.js';
import type { SandboxCommand } from './sandbox-command.js';
import { keepCodeCache } from './wasm-code-cache-file.js';

export interface ForkedChild {
  readonly pid: number;
  readonly socket: net.Socket;
}

export interface ZygoteEvents {
  exited: [pid: number, status: number];
  closed: [reason: string];
}

const STARTUP_TIMEOUT_MS = 60_000;

/** A running zygote. Emits `exited` for each child that ends and `closed` when it dies itself. */
export class ZygoteProcess extends EventEmitter<ZygoteEvents> {
  readonly #addon: SandboxAddon;
  readonly #process: ChildProcess;
  readonly #control: number;
  readonly #controlSocket: net.Socket;
  readonly #pendingForks = new Map<number, { resolve: (pid: number) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #closed = false;
  #ready = false;
  #stderrTail = '';
  readonly startupMs: Promise<number>;

  private constructor(command: SandboxCommand, logger: Logger) {
    super();
    this.#addon = loadSandboxAddon();
    const [hostEnd, zygoteEnd] = this.#addon.socketPair();
    this.#control = hostEnd;
    this.#process = spawn(command.file, command.args, {
      stdio: ['ignore', 'ignore', 'pipe', zygoteEnd],
      env: command.env,
    });
    this.#addon.closeFd(zygoteEnd);
    this.#controlSocket = new net.Socket({ fd: hostEnd, readable: true, writable: false });
    this.#process.stderr?.setEncoding('utf8');
    this.#process.stderr?.on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-4096);
      logger.debug?.(`sandbox zygote: ${text.trimEnd()}`);
    });

    let ready: (ms: number) => void;
    let failed: (error: Error) => void;
    this.startupMs = new Promise<number>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const timer = setTimeout(() => {
      failed(new Error(`the sandbox did not start within ${STARTUP_TIMEOUT_MS / 1000} s`));
      this.close();
    }, STARTUP_TIMEOUT_MS);
    timer.unref();

    createInterface({ input: this.#controlSocket }).on('line', (line) => {
      let message: ZygoteReport;
      try {
        message = JSON.parse(line) as ZygoteReport;
      } catch (error) {
        // The zygote is ours and never runs untrusted code: a line it cannot have meant is a defect.
        logger.warn({ err: error, line: line.slice(0, 200) }, 'the sandbox zygote sent a line that is not a report');
        return;
      }
      switch (message.type) {
        case 'huge-pages':
          logger.debug?.(`sandbox zygote: ${(message.bytes / 1_048_576).toFixed(0)} MiB in huge pages`);
          break;
        case 'code-cache':
          // Only a zygote that has not forked yet has run nothing but trusted code.
          if (!this.#ready && command.codeCacheFile) this.#keepCodeCache(command.codeCacheFile, message.data, logger);
          break;
        case 'ready':
          this.#ready = true;
          clearTimeout(timer);
          if (message.codeCache?.startsWith('refused'))
            logger.warn(`the sandbox's compiled-code cache was not used (${message.codeCache}); a new one replaces it`);
          logger.debug?.(
            `sandbox zygote ready in ${message.startupMs} ms (code cache: ${message.codeCache ?? 'none'}; waited ${message.compilerWaitMs ?? 0} ms for the compiler; ` +
              `each child prefaults ${message.prefaultPages ?? 0} pages; steps in ms: ${JSON.stringify(message.steps ?? {})})`,
          );
          ready(message.startupMs);
          break;
        case 'forked':
          this.#pendingForks.get(message.id)?.resolve(message.pid);
          this.#pendingForks.delete(message.id);
          break;
        case 'exited':
          this.emit('exited', message.pid, message.status);
          break;
        case 'failed':
          if (message.id !== undefined) {
            this.#pendingForks.get(message.id)?.reject(new Error(message.message));
            this.#pendingForks.delete(message.id);
            break;
          }
          clearTimeout(timer);
          failed(new Error(message.message));
          break;
      }
    });
    this.#controlSocket.on('error', () => {});
    this.#process.on('exit', (code, signal) => {
      clearTimeout(timer);
      const reason = `the sandbox zygote exited (${signal ?? `code ${code}`})${this.#stderrTail ? `: ${this.#stderrTail.trim().slice(-1000)}` : ''}`;
      failed(new Error(reason));
      this.#shutDown(reason);
    });
  }

  /** Stores the compiled-code cache the zygote made; a failure costs only the next start's speed. */
  #keepCodeCache(file: string, base64: string, logger: Logger): void {
    try {
      const bytes = keepCodeCache(file, base64);
      logger.debug?.(`kept the sandbox's compiled-code cache (${(bytes / 1_048_576).toFixed(1)} MiB) in ${file}`);
    } catch (error) {
      logger.warn({ err: error }, `could not keep the sandbox's compiled-code cache in ${file}: ${(error as Error).message}`);
    }
  }

  /** Spawns a zygote; resolves once it is ready to fork. */
  static async start(command: SandboxCommand, logger: Logger): Promise<ZygoteProcess> {
    const zygote = new ZygoteProcess(command, logger);
    await zygote.startupMs;
    return zygote;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Forks a child that holds the other end of a new private socket. */
  fork(): Promise<ForkedChild> {
    if (this.#closed) return Promise.reject(new Error('the sandbox zygote is not running'));
    const [hostSide, childSide] = this.#addon.socketPair();
    const id = this.#nextId++;
    try {
      this.#send({ type: 'fork', id }, childSide);
    } catch (error) {
      this.#addon.closeFd(hostSide);
      return Promise.reject(error);
    } finally {
      this.#addon.closeFd(childSide);
    }
    const socket = new net.Socket({ fd: hostSide, readable: true, writable: true });
    return new Promise<number>((resolve, reject) => this.#pendingForks.set(id, { resolve, reject })).then(
      (pid) => ({ pid, socket }),
      (error: Error) => {
        socket.destroy();
        throw error;
      },
    );
  }

  /** Kills a child of this zygote (SIGKILL). */
  kill(pid: number): void {
    if (!this.#closed) {
      try {
        this.#send({ type: 'kill', pid });
      } catch {
        // The zygote is gone, and its children with it.
      }
    }
  }

  close(): void {
    if (!this.#process.killed) this.#process.kill('SIGKILL');
    this.#shutDown('the runner closed the sandbox');
  }

  #send(command: ZygoteCommand, fd = -1): void {
    // One line per command: the zygote may read several commands at once from this stream.
    const payload = Buffer.from(`${JSON.stringify(command)}\n`, 'utf8');
    this.#addon.sendFd(this.#control, fd, payload);
  }

  #shutDown(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pendingForks.values()) pending.reject(new Error(reason));
    this.#pendingForks.clear();
    this.#controlSocket.destroy();
    this.emit('closed', reason);
  }
}
