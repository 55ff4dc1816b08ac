/**
 * @module migrate-store
 * `umca migrate`: brings a store's schema up to this UMCA's, and says from which version to which.
 * Servers and workers migrate at start too; this is for doing it first, on purpose (before a
 * rolling upgrade, say). A store written by a newer UMCA is refused and left as it is.
 */
import { openPostgresStore, openSqliteStore } from '@umca/store';

export interface MigrationOutcome {
  readonly location: string;
  readonly from: number;
  readonly to: number;
}

export async function migrateStore(settings: { store: string; dataDir: string }): Promise<MigrationOutcome> {
  const store =
    settings.store === 'embedded'
      ? openSqliteStore({ dataDir: settings.dataDir })
      : await openPostgresStore({ url: settings.store, maxConnections: 1 });
  await store.close();
  return { location: store.location, ...store.migration };
}
