/**
 * The store's schema migrations: an ordered, append-only list of modules in `migrations/`,
 * served to kysely's `Migrator` by a static provider (no directory scanning, so bundles and
 * `dist/` builds behave the same). Names sort in the order they run.
 *
 * @since 0.1.0
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely"
import * as Initial from "./migrations/0001_initial.js"
import * as LastPrices from "./migrations/0002_last_prices.js"
import * as ParkedCloses from "./migrations/0003_parked_closes.js"
import * as EquityRollup from "./migrations/0004_equity_rollup.js"
import * as DailyMarks from "./migrations/0005_daily_marks.js"
import * as CloseRollup from "./migrations/0006_close_rollup.js"

/** Every migration, by name. Add new ones at the end with the next number; never edit one. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": Initial,
  "0002_last_prices": LastPrices,
  "0003_parked_closes": ParkedCloses,
  "0004_equity_rollup": EquityRollup,
  "0005_daily_marks": DailyMarks,
  "0006_close_rollup": CloseRollup
}

/** The name of the newest migration: the schema version this code expects. */
export const latest: string = Object.keys(migrations).sort().at(-1) ?? ""

/** Serves {@link migrations} to kysely's `Migrator`. */
export const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...migrations })
}

/**
 * A kysely `Migrator` over {@link migrations}, with the default migration tables
 * (`kysely_migration`, `kysely_migration_lock`) and a locale-independent name order.
 *
 * @example
 * const { error, results } = await SqliteMigrations.migrator(db).migrateToLatest()
 */
export const migrator = (db: Kysely<any>): Migrator =>
  new Migrator({
    db,
    provider,
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0)
  })
