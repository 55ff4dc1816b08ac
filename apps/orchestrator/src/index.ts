/**
 * @module @umca/orchestrator
 * The UMCA service: the HTTP app, the MCP server, and the composition root that wires the embedded
 * implementations of the ports for `umca serve`, `umca mcp` and `umca run`. The run lifecycle is
 * @umca/runs. Any new export added here becomes public API.
 */
export type { AppDeps } from './app/app-deps.js';
export { API_VERSION, createApp } from './app/create-app.js';
export { type AccessControl, type AccessControlOptions, createAccessControl } from './auth/access-control.js';
export { accessFromConfig, localTokenDir } from './auth/access-from-config.js';
export { checkModelSettings, type ModelSettingSources } from './config/check-model-settings.js';
export { checkScaleOut } from './config/check-scale-out.js';
export {
  ConfigError,
  hasLocalTokenKeys,
  modelSettingsFromEnvironment,
  resolveServerConfig,
  resolveServerConfigWithSources,
  type ServerConfig,
  type SettingSources,
  serverConfigSchema,
} from './config/server-config.js';
export { type EvaluateOptions, type EvaluateSettings, type Evaluation, evaluate, prepareEvaluation } from './evals/evaluate.js';
export { createMcpHttpHandler, type McpHttpHandler, storeBackedEventStore } from './mcp/create-mcp-http-handler.js';
export { createMcpServer, type McpServerOptions } from './mcp/create-mcp-server.js';
export { createMetrics, type ServiceMetrics } from './metrics/create-metrics.js';
export { type BackupIntoOutcome, backupInto, type LatestBackup, latestBackup } from './ops/backup-set.js';
export {
  BACKUP_MANIFEST_VERSION,
  BackupError,
  type BackupManifest,
  backupDataDir,
  type RestoreOutcome,
  restoreDataDir,
  verifyBackup,
} from './ops/data-dir-backup.js';
export { type EvidenceCatalog, type EvidenceItem, readEvidence } from './ops/evidence-catalog.js';
export {
  applyRetention,
  EvidenceError,
  loadRetentionRule,
  planRetention,
  RETENTION_FILE,
  type RetentionPlan,
} from './ops/evidence-retention.js';
export { createLogger, type LoggerSettings, type ServiceLogger } from './server/create-logger.js';
export { type MigrationOutcome, migrateStore } from './server/migrate-store.js';
export { type OpenServiceOptions, openService, type Service, type ServiceSettings } from './server/open-service.js';
export { type RunningServer, startServer } from './server/start-server.js';
export { startStdioMcp } from './server/start-stdio-mcp.js';
export { type RunningWorker, startWorker, type WorkerSettings } from './server/start-worker.js';
export { type OpenTracing, type OpenTracingOptions, openTracing } from './tracing/open-tracing.js';
export { otlpTracesUrl, type ResolvedTracing, resolveTracing, type TraceSettings } from './tracing/trace-settings.js';
