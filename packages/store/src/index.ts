/**
 * @module @umca/store
 * The embedded store (`StoreV1`, the port in @umca/contracts): runs, the event log and MCP stream
 * events in one SQLite file, or in memory. Any new export added here becomes public API.
 */
export { openSqliteStore, type SqliteStoreOptions } from './open-sqlite-store.js';
export { openPostgresStore, type PostgresStore, type PostgresStoreOptions, type SlotHold } from './postgres/open-postgres-store.js';
export { type MigrationReport, POSTGRES_MIGRATIONS } from './postgres/postgres-migrations.js';
export { checkPostgresUrl, describePostgresUrl } from './postgres/postgres-url.js';
export {
  backupSqliteStore,
  RESTORE_OFFSET_GAP,
  readStoreFacts,
  type StoreSnapshotFacts,
  skipOffsetsAfterRestore,
} from './sqlite-backup.js';
export { StoreError, type StoreErrorCode } from './store-error.js';
