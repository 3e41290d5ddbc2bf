/**
 * Runs kysely-built queries synchronously on a better-sqlite3 handle: kysely writes the SQL
 * (portable, typed), better-sqlite3 executes it without a promise per statement. Prepared
 * statements are cached by SQL text. better-sqlite3-specific by nature: a PostgreSQL store
 * would execute the same compiled queries through `kysely.executeQuery` instead.
 *
 * @internal
 */
import type BetterSqlite3 from "better-sqlite3"
import type { Compilable } from "kysely"

/** Synchronous execution of compiled kysely queries. */
export interface SyncQuery {
  /** Every row of a query. */
  readonly all: <R>(query: Compilable<R>) => Array<R>
  /** The first row of a query, if any. */
  readonly first: <R>(query: Compilable<R>) => R | undefined
  /** Runs a statement; answers the number of rows it changed. */
  readonly run: (query: Compilable<unknown>) => number
}

/** More distinct statements than this and the cache starts over (queries here are few). */
const cacheLimit = 256

/** A {@link SyncQuery} on `sqlite`. */
export const make = (sqlite: BetterSqlite3.Database): SyncQuery => {
  const statements = new Map<string, BetterSqlite3.Statement>()
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      if (statements.size >= cacheLimit) statements.clear()
      statement = sqlite.prepare(sql)
      statements.set(sql, statement)
    }
    return statement
  }
  return {
    all: <R>(query: Compilable<R>) => {
      const compiled = query.compile()
      return prepare(compiled.sql).all(compiled.parameters) as Array<R>
    },
    first: <R>(query: Compilable<R>) => {
      const compiled = query.compile()
      return prepare(compiled.sql).get(compiled.parameters) as R | undefined
    },
    run: (query) => {
      const compiled = query.compile()
      return Number(prepare(compiled.sql).run(compiled.parameters).changes)
    }
  }
}
