/**
 * @module child-event-loop
 * Keeps a forked child's event loop from running dry.
 *
 * Node counts the tasks it hands to its worker threads, and whenever its event loop runs out of
 * work it waits for that count to reach zero before it runs V8's pending foreground tasks
 * (`NodePlatform::DrainTasks`). A forked child has none of those threads (fork copies only the
 * calling one). A worker task is never finished there: one the child posts itself (V8 tiers up
 * a WebAssembly function that got hot in the run on a worker), or one the zygote had posted and
 * not yet finished at the fork. The child's first dry loop then waits forever: a program that
 * awaited a promise V8 settles from a foreground task (`WebAssembly.compileStreaming`'s
 * rejection, after a hot loop of its own) hung until its time limit.
 *
 * A referenced timer keeps the loop from running dry, so Node never reaches that wait; V8's
 * foreground tasks still run, woken by the platform's own handle in the loop. A child leaves its
 * loop only by exiting (child-session.ts), so the timer is never cleared.
 */

/** The longest delay a Node timer takes (2^31 − 1 ms, about 25 days). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** In a child, right after the fork: see the module comment. */
export function keepEventLoopAwake(): void {
  setInterval(() => {}, LONGEST_TIMER_MS);
}
