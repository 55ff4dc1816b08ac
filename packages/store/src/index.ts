/**
 * @module @umca/store
 * Runs, the event log and MCP stream events. Any new export added here becomes public API.
 */
export { openSqliteStore } from './open-sqlite-store.js';
export type { EventLog, NewRun, RunPatch, RunQuery, RunRecord, RunRepository, RunStatus, Store, StreamEventLog } from './store.js';
export { StoreError, type StoreErrorCode } from './store-error.js';
