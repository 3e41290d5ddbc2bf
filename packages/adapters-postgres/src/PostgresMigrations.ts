/**
 * The store's schema migrations, PostgreSQL form: the same ordered, append-only list as the
 * SQLite adapter's (`0001_initial`, `0002_last_prices`, `0003_parked_closes`: the same names,
 * the same schema versions), each table scoped by `account_id`. Served to kysely's `Migrator`
 * by a static provider; run at start in one transaction, under kysely's advisory lock, so
 * several instances starting together migrate once.
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
 * A kysely `Migrator` over {@link migrations}, its tables (`kysely_migration`,
 * `kysely_migration_lock`) in `schema`, names in a locale-independent order.
 *
 * @example
 * const { error, results } = await PostgresMigrations.migrator(db, "public").migrateToLatest()
 */
export const migrator = (db: Kysely<any>, schema: string): Migrator =>
  new Migrator({
    db,
    provider,
    migrationTableSchema: schema,
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0)
  })
