/**
 * The one SQLite connection the stores share: opened, checked and migrated when the layer
 * starts, closed when its scope closes. A file that is not a database, or a database of some
 * other application, fails the layer at start with a {@link SqliteDatabaseError} naming the
 * path, never later.
 *
 * @since 0.1.0
 */
import BetterSqlite3 from "better-sqlite3"
import { Config, type ConfigError, Context, Data, Effect, Layer, type Scope } from "effect"
import { Kysely, SqliteDialect } from "kysely"
import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import * as SqliteSpecific from "./internal/SqliteSpecific.js"
import * as SqliteMigrations from "./SqliteMigrations.js"
import type { Database } from "./Tables.js"

/** How to open the database. */
export interface Options {
  /** The database file (its parent directory is created), or `:memory:`. */
  readonly path: string
  /**
   * `FULL` (default): every commit is fsynced to the write-ahead log before it returns, so it
   * survives `kill -9` and power loss. `NORMAL`: survives `kill -9` (the log is written to the
   * OS before the commit returns) but the last commits may be lost if the machine loses power.
   */
  readonly synchronous?: SqliteSpecific.Synchronous | undefined
  /** How long a statement waits for another process's lock before failing busy (default 5000). */
  readonly busyTimeoutMs?: number | undefined
}

/** What went wrong opening the database. */
export type Problem =
  /** The file cannot be created or opened (permissions, a directory in the way, …). */
  | "CannotOpen"
  /** The file is not an SQLite database (random bytes, damaged header). */
  | "NotADatabase"
  /** An SQLite database of another application: tables, but no migration table. */
  | "ForeignSchema"
  /** The database records migrations this code does not know: a newer version wrote it. */
  | "UnknownMigrations"
  /** A migration failed; the database is unchanged (migrations run in a transaction). */
  | "MigrationFailed"

/** The database at `path` cannot be used; `problem` says why, `reason` in words. */
export class SqliteDatabaseError extends Data.TaggedError("SqliteDatabaseError")<{
  readonly path: string
  readonly problem: Problem
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `SQLite database at ${this.path}: ${this.reason}`
  }
}

/** An open, migrated database. */
export interface SqliteDatabaseService {
  /** The absolute path of the file, or `:memory:`. */
  readonly path: string
  /** The raw connection, for synchronous statements. */
  readonly sqlite: BetterSqlite3.Database
  /** A kysely instance on the same connection: builds the (portable) queries. */
  readonly kysely: Kysely<Database>
  /** The newest migration applied: the schema version. */
  readonly schemaVersion: string
}

/** The shared SQLite connection. */
export class SqliteDatabase extends Context.Tag("@portfolio/adapters-sqlite/SqliteDatabase")<
  SqliteDatabase,
  SqliteDatabaseService
>() {}

/**
 * Opens the database at `options.path`, checks it is empty or ours, runs the migrations it
 * lacks; the connection closes with the scope.
 */
export const make = (options: Options): Effect.Effect<SqliteDatabaseService, SqliteDatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const path = SqliteSpecific.isInMemory(options.path) ? ":memory:" : resolve(options.path)
    const fail = (problem: Problem, reason: string, cause?: unknown) =>
      new SqliteDatabaseError({ path, problem, reason, cause })

    const sqlite = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true })
          return new BetterSqlite3(path)
        },
        catch: (cause) => fail("CannotOpen", `cannot open: ${describe(cause)}`, cause)
      }),
      (sqlite) => Effect.sync(() => sqlite.open && sqlite.close())
    )
    yield* Effect.try({
      try: () =>
        SqliteSpecific.configureConnection(sqlite, {
          synchronous: options.synchronous ?? "FULL",
          busyTimeoutMs: options.busyTimeoutMs ?? 5000
        }),
      catch: (cause) =>
        SqliteSpecific.isNotADatabase(cause)
          ? fail("NotADatabase", `the file is not an SQLite database (${describe(cause)})`, cause)
          : fail("CannotOpen", `cannot configure the connection: ${describe(cause)}`, cause)
    })

    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
    const tables = yield* Effect.tryPromise({
      try: () => kysely.introspection.getTables({ withInternalKyselyTables: true }),
      catch: (cause) =>
        SqliteSpecific.isNotADatabase(cause)
          ? fail("NotADatabase", `the file is not an SQLite database (${describe(cause)})`, cause)
          : fail("CannotOpen", `cannot list its tables: ${describe(cause)}`, cause)
    })
    const names = tables.map((t) => t.name)
    if (names.length > 0 && !names.includes("kysely_migration")) {
      return yield* fail(
        "ForeignSchema",
        `it belongs to another application: it has tables (${names.slice(0, 8).join(", ")}) ` +
          "but no kysely_migration table; point PORTFOLIO_TRADE_STORE_DB_PATH at a new file"
      )
    }

    const migrator = SqliteMigrations.migrator(kysely)
    const migrated = yield* Effect.promise(() => migrator.migrateToLatest())
    if (migrated.error !== undefined) {
      const failed = migrated.results?.find((r) => r.status === "Error")?.migrationName
      return yield* failed === undefined
        ? fail(
          "UnknownMigrations",
          `its migrations do not match this version's (${describe(migrated.error)}); ` +
            "was it written by a newer version or another application?",
          migrated.error
        )
        : fail("MigrationFailed", `migration ${failed} failed: ${describe(migrated.error)}`, migrated.error)
    }
    const applied = yield* Effect.tryPromise({
      try: () => migrator.getMigrations(),
      catch: (cause) => fail("MigrationFailed", `cannot read the applied migrations: ${describe(cause)}`, cause)
    })
    const schemaVersion = applied.filter((m) => m.executedAt !== undefined).map((m) => m.name).at(-1) ?? ""
    return { path, sqlite, kysely, schemaVersion }
  })

/** The database at `options.path`, shared by the stores built on it. */
export const layer = (options: Options): Layer.Layer<SqliteDatabase, SqliteDatabaseError> =>
  Layer.scoped(SqliteDatabase, make(options))

/**
 * The options from the environment: `PORTFOLIO_TRADE_STORE_DB_PATH` (default
 * `./data/portfolio.db`), `PORTFOLIO_TRADE_STORE_SYNCHRONOUS` (`FULL` default, or `NORMAL`),
 * `PORTFOLIO_TRADE_STORE_BUSY_TIMEOUT_MS` (default 5000).
 */
export const config: Config.Config<Options> = Config.all({
  path: Config.string("PORTFOLIO_TRADE_STORE_DB_PATH").pipe(Config.withDefault("./data/portfolio.db")),
  synchronous: Config.string("PORTFOLIO_TRADE_STORE_SYNCHRONOUS").pipe(
    Config.map((s) => s.trim().toUpperCase()),
    Config.validate({
      message: "PORTFOLIO_TRADE_STORE_SYNCHRONOUS must be FULL or NORMAL",
      validation: (s): s is SqliteSpecific.Synchronous => s === "FULL" || s === "NORMAL"
    }),
    Config.withDefault<SqliteSpecific.Synchronous>("FULL")
  ),
  busyTimeoutMs: Config.integer("PORTFOLIO_TRADE_STORE_BUSY_TIMEOUT_MS").pipe(
    Config.validate({ message: "PORTFOLIO_TRADE_STORE_BUSY_TIMEOUT_MS must be zero or more milliseconds", validation: (n) => n >= 0 }),
    Config.withDefault(5000)
  )
})

/** {@link layer} with the options read from the environment by {@link config}. */
export const layerConfig: Layer.Layer<SqliteDatabase, SqliteDatabaseError | ConfigError.ConfigError> =
  Layer.unwrapEffect(Effect.map(config, layer))

const describe = (cause: unknown): string => {
  const code = SqliteSpecific.errorCode(cause)
  const text = cause instanceof Error ? cause.message : String(cause)
  return code === undefined || text.includes(code) ? text : `${code}: ${text}`
}
