/**
 * The PostgreSQL pool the stores share: opened, checked and migrated when the layer starts,
 * closed when its scope closes. The connection URL is `Redacted`: no error, message or log line
 * of this package contains it (or its password); errors name the server as `host:port/database`.
 *
 * @since 0.1.0
 */
import { Account } from "@portfolio/core"
import { Config, type ConfigError, Context, Data, Effect, Layer, Redacted, type Scope } from "effect"
import { Kysely, sql } from "kysely"
import pg from "pg"
import { ScopedDialect } from "./internal/ScopedDialect.js"
import * as PostgresSpecific from "./internal/PostgresSpecific.js"
import * as PostgresMigrations from "./PostgresMigrations.js"
import type { Database } from "./Tables.js"

/** The account of a service that names none (`Account.DEFAULT_ACCOUNT_ID` of the core). */
export const DEFAULT_ACCOUNT_ID = Account.DEFAULT_ACCOUNT_ID
/** Connections per pool, by default. */
export const DEFAULT_POOL_SIZE = 10
/** The statement timeout, by default (ms). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
/** How long opening a connection may take, by default (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** How to reach the database, and whose rows to see. */
export interface Options {
  /** `postgres://user:password@host:port/database`: kept `Redacted`, never echoed. */
  readonly url: Redacted.Redacted<string>
  /** The account every row is scoped by (default `"default"`). */
  readonly accountId?: string | undefined
  /**
   * The schema of the tables (default `public`): a lower-case SQL identifier. Created when it
   * does not exist; set as the connections' `search_path`.
   */
  readonly schema?: string | undefined
  /** Connections in the pool (default 10). */
  readonly poolSize?: number | undefined
  /** Server-side `statement_timeout` of every statement, ms (default 30 000; 0: none). */
  readonly statementTimeoutMs?: number | undefined
  /** How long opening a connection may take before it fails retryable, ms (default 10 000). */
  readonly connectTimeoutMs?: number | undefined
  /** `application_name` of the connections (default `portfolio-intelligence`). */
  readonly applicationName?: string | undefined
}

/** What went wrong opening the database. */
export type Problem =
  /** An option is out of range (a bad schema name, an empty account, a URL that is not postgres://). */
  | "InvalidOptions"
  /** The server cannot be reached, or refuses the connection (authentication, no such database). */
  | "CannotConnect"
  /** The schema holds tables of ours but no `kysely_migration` table: not a database we made. */
  | "ForeignSchema"
  /** The database records migrations this code does not know: a newer version wrote it. */
  | "UnknownMigrations"
  /** A migration failed; the database is unchanged (migrations run in a transaction). */
  | "MigrationFailed"

/** The database at `where` cannot be used; `problem` says why, `reason` in words (no secrets). */
export class PostgresDatabaseError extends Data.TaggedError("PostgresDatabaseError")<{
  /** `host:port/database schema=…`: never the URL. */
  readonly where: string
  readonly problem: Problem
  readonly reason: string
  /** Trying again later may succeed (the server is down or starting). */
  readonly retryable: boolean
  readonly cause?: PostgresSpecific.PostgresFailure | undefined
}> {
  override get message(): string {
    return `PostgreSQL database at ${this.where}: ${this.reason}`
  }
}

/** An open, migrated database. */
export interface PostgresDatabaseService {
  /** `host:port/database schema=… account=…`: where the store is, no secrets. */
  readonly where: string
  /** The account whose rows the stores see. */
  readonly accountId: string
  /** The schema of the tables. */
  readonly schema: string
  /** The pool: the commit path runs named prepared statements on its clients. */
  readonly pool: pg.Pool
  /** A kysely instance on the same pool: builds (and runs) the queries. */
  readonly kysely: Kysely<Database>
  /** The newest migration applied: the schema version. */
  readonly schemaVersion: string
  /** `hypertable` when TimescaleDB keeps the equity samples, else `table` (with a BRIN index). */
  readonly equitySamples: "hypertable" | "table"
  /** Removes the URL's secrets from a text (for error messages). */
  readonly scrub: (text: string) => string
}

/** The shared PostgreSQL pool. */
export class PostgresDatabase extends Context.Tag("@portfolio/adapters-postgres/PostgresDatabase")<
  PostgresDatabase,
  PostgresDatabaseService
>() {}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/

/** The advisory lock (class "PORT", 1) that instances starting together take turns on. */
const STARTUP_LOCK = [0x504f5254, 1] as const

/** One line naming the database, schema and account, without user name or password. */
export const describe = (options: Options): string =>
  `${PostgresSpecific.where(options.url)} schema=${options.schema ?? "public"} account=${options.accountId ?? DEFAULT_ACCOUNT_ID}`

/**
 * Opens a pool on `options.url`, checks that the server answers and that the schema is empty or
 * ours, runs the migrations it lacks, and makes sure the account's equity extremes row exists.
 * The pool closes with the scope.
 */
export const make = (options: Options): Effect.Effect<PostgresDatabaseService, PostgresDatabaseError, Scope.Scope> =>
  Effect.gen(function*() {
    const where = describe(options)
    const scrub = PostgresSpecific.scrubberOf(options.url)
    const fail = (problem: Problem, reason: string, cause?: unknown) => {
      const failure = cause === undefined ? undefined : PostgresSpecific.failureOf(cause, scrub)
      return new PostgresDatabaseError({
        where,
        problem,
        reason: scrub(reason),
        retryable: cause !== undefined && PostgresSpecific.isRetryable(cause),
        cause: failure
      })
    }
    const describeCause = (cause: unknown) => {
      const failure = PostgresSpecific.failureOf(cause, scrub)
      return failure.code === undefined || failure.message.includes(failure.code) ? failure.message : `${failure.code}: ${failure.message}`
    }

    const schema = options.schema ?? "public"
    const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE
    const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    if (!PostgresSpecific.isPostgresUrl(options.url)) {
      return yield* fail("InvalidOptions", "the URL is not a postgres:// or postgresql:// URL")
    }
    if (!identifier.test(schema)) {
      return yield* fail("InvalidOptions", `the schema name ${JSON.stringify(schema)} is not a lower-case SQL identifier`)
    }
    if (!Account.isValidAccountId(accountId)) {
      return yield* fail("InvalidOptions", `the account id must be ${Account.accountIdRule}`)
    }
    if (!Number.isInteger(poolSize) || poolSize < 1) {
      return yield* fail("InvalidOptions", `the pool size must be a whole number of connections, at least 1 (got ${poolSize})`)
    }
    if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
      return yield* fail("InvalidOptions", `the statement timeout must be zero or more milliseconds (got ${statementTimeoutMs})`)
    }

    const pool = PostgresSpecific.makePool({
      url: options.url,
      schema,
      poolSize,
      statementTimeoutMs,
      connectTimeoutMs: Math.max(1, connectTimeoutMs),
      applicationName: options.applicationName ?? "portfolio-intelligence"
    })
    const kysely = yield* Effect.acquireRelease(
      Effect.sync(() => new Kysely<Database>({ dialect: new ScopedDialect({ pool }, schema) })),
      (kysely) => Effect.promise(() => kysely.destroy().catch(() => undefined))
    )
    const attempt = <A>(problem: Problem, what: string, run: () => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (cause) => fail(problem, `${what}: ${describeCause(cause)}`, cause) })

    const { hypertable, schemaVersion } = yield* Effect.scoped(Effect.gen(function*() {
      // Instances starting together take turns (a session advisory lock on a connection of its
      // own, outside the pool) for creating the schema and migrating: `create schema if not exists`
      // and kysely's creation of its migration tables race otherwise.
      yield* Effect.acquireRelease(
        attempt("CannotConnect", "cannot connect", async () => {
          const client = new pg.Client({
            connectionString: Redacted.value(options.url),
            connectionTimeoutMillis: Math.max(1, connectTimeoutMs),
            application_name: options.applicationName ?? "portfolio-intelligence"
          })
          client.on("error", () => {})
          try {
            await client.connect()
            await client.query(`select pg_advisory_lock(${STARTUP_LOCK[0]}, ${STARTUP_LOCK[1]})`)
            return client
          } catch (error) {
            await client.end().catch(() => undefined)
            throw error
          }
        }),
        (client) => Effect.promise(() => client.end().catch(() => undefined))
      )
      yield* attempt("CannotConnect", "cannot connect", () => sql`select 1`.execute(kysely))
      if (schema !== "public") {
        yield* attempt("CannotConnect", `cannot create the schema ${schema}`, () =>
          sql`create schema if not exists ${sql.id(schema)}`.execute(kysely))
      }

      const tables = yield* attempt("CannotConnect", "cannot list the schema's tables", () =>
        sql<{ table_name: string }>`
          select table_name from information_schema.tables where table_schema = ${schema}`.execute(kysely))
      const names = new Set(tables.rows.map((r) => r.table_name))
      const ours = ["processed_events", "open_trades", "closed_trades", "fills", "equity_samples"].filter((t) => names.has(t))
      if (ours.length > 0 && !names.has("kysely_migration")) {
        return yield* fail(
          "ForeignSchema",
          `the schema ${schema} has tables named as ours (${ours.join(", ")}) but no kysely_migration table: ` +
            "it belongs to another application; choose another schema"
        )
      }

      const migrator = PostgresMigrations.migrator(kysely, schema)
      const migrated = yield* Effect.promise(() => migrator.migrateToLatest())
      if (migrated.error !== undefined) {
        const failed = migrated.results?.find((r) => r.status === "Error")?.migrationName
        const cause = migrated.error
        if (failed === undefined && PostgresSpecific.isRetryable(cause)) {
          return yield* fail("CannotConnect", `cannot run the migrations: ${describeCause(cause)}`, cause)
        }
        return yield* failed === undefined
          ? fail(
            "UnknownMigrations",
            `its migrations do not match this version's (${describeCause(cause)}); was it written by a newer version?`,
            cause
          )
          : fail("MigrationFailed", `migration ${failed} failed: ${describeCause(cause)}`, cause)
      }
      const applied = yield* attempt("MigrationFailed", "cannot read the applied migrations", () => migrator.getMigrations())
      const schemaVersion = applied.filter((m) => m.executedAt !== undefined).map((m) => m.name).at(-1) ?? ""

      // A hypertable only where Timescale is installed (its information view exists only then).
      const timescale = yield* attempt("CannotConnect", "cannot list the extensions", () =>
        sql<{ installed: boolean }>`select exists (select 1 from pg_extension where extname = 'timescaledb') as installed`.execute(kysely))
      const hypertable = timescale.rows[0]?.installed === true
        ? yield* attempt("CannotConnect", "cannot list the hypertables", () =>
          sql<{ n: number }>`
            select count(*) as n from timescaledb_information.hypertables
            where hypertable_schema = ${schema} and hypertable_name = 'equity_samples'`.execute(kysely)).pipe(
            Effect.map((r) => Number(r.rows[0]?.n ?? 0) > 0),
            Effect.orElseSucceed(() => false)
          )
        : false

      yield* attempt("CannotConnect", "cannot create the account's equity extremes row", () =>
        kysely
          .insertInto("equity_extremes")
          .values({ account_id: accountId, sample_count: 0, max_drawdown_pct: 0 })
          .onConflict((oc) => oc.column("account_id").doNothing())
          .execute())
      return { hypertable, schemaVersion }
    }))

    return {
      where,
      accountId,
      schema,
      pool,
      kysely,
      schemaVersion,
      equitySamples: hypertable ? "hypertable" : "table",
      scrub
    } satisfies PostgresDatabaseService
  })

/** The database of `options`, shared by the stores built on it. */
export const layer = (options: Options): Layer.Layer<PostgresDatabase, PostgresDatabaseError> =>
  Layer.scoped(PostgresDatabase, make(options))

// Each variable is read as an unnamed primitive nested under its name, so that a failed
// validation, not only a missing or unparsable value, reports the variable's name.
const positiveInteger = (name: string, min: number, max: number, fallback: number) =>
  Config.integer().pipe(
    Config.validate({ message: `must be a whole number from ${min} to ${max}`, validation: (n) => n >= min && n <= max }),
    Config.nested(name),
    Config.withDefault(fallback)
  )

/**
 * `PORTFOLIO_ACCOUNT_ID`: the account this service instance serves (default `default`); the
 * core's one reading of it (`Account.accountIdConfig`), so the rows, the consumer groups and
 * the published `source` name the same account.
 */
export const accountIdConfig: Config.Config<string> = Account.accountIdConfig

/**
 * `PORTFOLIO_POSTGRES_URL` (required), read as `Redacted`. A bad value is reported by the
 * variable's name, never echoed.
 */
export const urlConfig: Config.Config<Redacted.Redacted<string>> = Config.string().pipe(
  Config.validate({
    message: "must be a postgres:// or postgresql:// URL (the value is secret and not shown)",
    validation: (url) => PostgresSpecific.isPostgresUrl(Redacted.make(url))
  }),
  Config.map((url) => Redacted.make(url)),
  Config.nested("PORTFOLIO_POSTGRES_URL")
)

/**
 * The options from the environment: `PORTFOLIO_POSTGRES_URL` (required, `Redacted`),
 * `PORTFOLIO_POSTGRES_POOL_SIZE` (1–1000, default 10), `PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS`
 * (0–86 400 000, default 30 000; 0 none), `PORTFOLIO_POSTGRES_SCHEMA` (default `public`),
 * `PORTFOLIO_ACCOUNT_ID` (default `default`). Each error names its variable.
 */
export const config: Config.Config<Options> = Config.all({
  url: urlConfig,
  poolSize: positiveInteger("PORTFOLIO_POSTGRES_POOL_SIZE", 1, 1000, DEFAULT_POOL_SIZE),
  statementTimeoutMs: positiveInteger("PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS", 0, 86_400_000, DEFAULT_STATEMENT_TIMEOUT_MS),
  schema: Config.string().pipe(
    Config.map((s) => s.trim()),
    Config.validate({ message: "must be a lower-case SQL identifier (a-z, 0-9, _; not starting with a digit)", validation: (s) => identifier.test(s) }),
    Config.nested("PORTFOLIO_POSTGRES_SCHEMA"),
    Config.withDefault("public")
  ),
  accountId: accountIdConfig
})

/** {@link layer} with the options read from the environment by {@link config}. */
export const layerConfig: Layer.Layer<PostgresDatabase, PostgresDatabaseError | ConfigError.ConfigError> =
  Layer.unwrapEffect(Effect.map(config, layer))
