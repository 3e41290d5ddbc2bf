/**
 * The store a command reads (`portfolio export`, `portfolio report`): an SQLite database file
 * (`--db`, the service's `PORTFOLIO_TRADE_STORE_DB_PATH`) or a PostgreSQL URL (`--postgres`,
 * with `--schema` and `--account-id` as the service's `PORTFOLIO_POSTGRES_SCHEMA` and
 * `PORTFOLIO_ACCOUNT_ID`), exactly one of them.
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import type { EquityHistory, TradeStore } from "@portfolio/core"
import { Effect, Layer, Option, Redacted } from "effect"
import { existsSync } from "node:fs"
import { CommandError } from "./CommandError.js"

/** The flags that choose the store. */
export const flags = {
  db: Options.file("db", { exists: "either" }).pipe(
    Options.withDescription("The service's SQLite database file (PORTFOLIO_TRADE_STORE_DB_PATH)"),
    Options.optional
  ),
  postgres: Options.text("postgres").pipe(Options.withDescription("A PostgreSQL URL (PORTFOLIO_POSTGRES_URL)"), Options.optional),
  schema: Options.text("schema").pipe(
    Options.withDescription("The PostgreSQL schema of the tables (PORTFOLIO_POSTGRES_SCHEMA; default public)"),
    Options.optional
  ),
  accountId: Options.text("account-id").pipe(
    Options.withDescription("The account whose rows to read in a shared PostgreSQL database (PORTFOLIO_ACCOUNT_ID)"),
    Options.optional
  )
}

/** The parsed store flags. */
export interface Choice {
  readonly db: Option.Option<string>
  readonly postgres: Option.Option<string>
  readonly schema: Option.Option<string>
  readonly accountId: Option.Option<string>
}

/** The stores of the choice; fails naming the flag when none or both are given, or the file is missing. */
export const layer = (choice: Choice): Layer.Layer<TradeStore | EquityHistory, CommandError> => {
  if (Option.isSome(choice.db) && Option.isSome(choice.postgres)) {
    return Layer.fail(new CommandError({ message: "give --db FILE or --postgres URL, not both" }))
  }
  if (Option.isSome(choice.db)) {
    const path = choice.db.value
    if (!existsSync(path)) return Layer.fail(new CommandError({ message: `--db: no such file ${path}` }))
    // Each adapter is loaded only when chosen: a command that reads SQLite never loads pg.
    return Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@portfolio/adapters-sqlite")), ({ SqliteStore }) =>
        SqliteStore.layer({ path }).pipe(Layer.mapError((e) => new CommandError({ message: `--db ${path}: ${e.message}` }))))
    )
  }
  if (Option.isSome(choice.postgres)) {
    const url = choice.postgres.value
    return Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@portfolio/adapters-postgres")), ({ PostgresStore }) =>
        PostgresStore.layer({
          url: Redacted.make(url),
          ...(Option.isSome(choice.accountId) ? { accountId: choice.accountId.value } : {}),
          ...(Option.isSome(choice.schema) ? { schema: choice.schema.value } : {}),
          applicationName: "portfolio-cli"
        }).pipe(Layer.mapError((e) => new CommandError({ message: `--postgres: ${e.message}` }))))
    )
  }
  return Layer.fail(new CommandError({ message: "give the store to read: --db FILE (SQLite) or --postgres URL" }))
}

/** Runs `effect` on the stores of the choice, closing them after. */
export const provide = <A, E, R>(choice: Choice) => (effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, layer(choice))
