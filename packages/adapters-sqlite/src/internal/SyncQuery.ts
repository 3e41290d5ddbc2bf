/**
 * Runs kysely-built queries synchronously on a better-sqlite3 handle: kysely writes the SQL
 * (portable, typed), better-sqlite3 executes it without a promise per statement.
 *
 * Two ways in:
 *
 * - `all` / `first` / `run` take a query built per call (ranges, one-off reads): it is compiled
 *   each time and its prepared statement is looked up by SQL text in a bounded LRU cache.
 * - `prepare` compiles a statement shape **once**, with {@link placeholders} where the values
 *   go, and keeps the prepared statement: running it only binds values. The commit path uses
 *   it, so a batch is prepared-statement runs and nothing else.
 *
 * better-sqlite3-specific by nature: a PostgreSQL store would execute the same compiled
 * queries through `kysely.executeQuery` instead.
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
  /**
   * Compiles `build(params)` once and prepares it; `params` are {@link placeholders} (or
   * {@link param}s) standing where each run's values go.
   *
   * @example
   * const remove = query.prepare(placeholders<{ trade_id: string }>({ trade_id: true }), (p) =>
   *   kysely.deleteFrom("open_trades").where("trade_id", "=", p.trade_id))
   * remove.run({ trade_id: "t-1" })
   */
  readonly prepare: <P, R>(params: P, build: (params: P) => Compilable<R>) => Prepared<P, R>
}

/** A statement compiled and prepared once, run with the values of `P`. */
export interface Prepared<P, R> {
  /** Runs it; answers the number of rows it changed. */
  readonly run: (values: P) => number
  /** Every row it answers. */
  readonly all: (values: P) => Array<R>
  /** The first row it answers, if any. */
  readonly first: (values: P) => R | undefined
}

/** Every key of `P`, each `true`: the compiler checks that none is missing or extra. */
export type Names<P> = { readonly [K in keyof P]-?: true }

const marker = "\u0000SyncQuery.param:"

/**
 * The placeholder of the value named `name` in a statement built for {@link SyncQuery.prepare};
 * typed as the value it stands for, so kysely type-checks the query as usual.
 */
export const param = <T>(name: string | number): T => `${marker}${name}` as unknown as T

/**
 * Placeholders for every key of `P`: `{ a: param("a"), b: param("b") }`. Give it the whole
 * row type of an insert and the compiler refuses a missing column.
 */
export const placeholders = <P>(names: Names<P>): P =>
  Object.fromEntries(Object.keys(names).map((name) => [name, param(name)])) as P

/**
 * How many distinct per-call statements stay prepared. Least recently used goes first, so the
 * few shapes in steady use stay prepared however many one-off shapes pass through.
 */
const cacheCapacity = 256

/** A {@link SyncQuery} on `sqlite`. */
export const make = (sqlite: BetterSqlite3.Database): SyncQuery => {
  const statements = new Map<string, BetterSqlite3.Statement>()
  const statementOf = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = sqlite.prepare(sql)
      if (statements.size >= cacheCapacity) statements.delete(statements.keys().next().value as string)
    } else {
      statements.delete(sql) // re-inserted below: a Map iterates in insertion order, oldest first
    }
    statements.set(sql, statement)
    return statement
  }
  return {
    all: <R>(query: Compilable<R>) => {
      const compiled = query.compile()
      return statementOf(compiled.sql).all(compiled.parameters) as Array<R>
    },
    first: <R>(query: Compilable<R>) => {
      const compiled = query.compile()
      return statementOf(compiled.sql).get(compiled.parameters) as R | undefined
    },
    run: (query) => {
      const compiled = query.compile()
      return Number(statementOf(compiled.sql).run(compiled.parameters).changes)
    },
    prepare: <P, R>(params: P, build: (params: P) => Compilable<R>): Prepared<P, R> => {
      const compiled = build(params).compile()
      const statement = sqlite.prepare(compiled.sql)
      const bind = binder<P>(compiled.parameters)
      return {
        run: (values) => Number(statement.run(bind(values)).changes),
        all: (values) => statement.all(bind(values)) as Array<R>,
        first: (values) => statement.get(bind(values)) as R | undefined
      }
    }
  }
}

/**
 * The parameter list of a run, from the compiled query's parameters: a placeholder takes the
 * named value, anything else (a constant kysely bound, e.g. a `limit`) is kept as it is.
 */
const binder = <P>(parameters: ReadonlyArray<unknown>): (values: P) => Array<unknown> => {
  const names = parameters.map((p) => (typeof p === "string" && p.startsWith(marker) ? p.slice(marker.length) : undefined))
  const count = names.length
  return (values) => {
    const bound = new Array<unknown>(count)
    for (let i = 0; i < count; i++) {
      const name = names[i]
      bound[i] = name === undefined ? parameters[i] : (values as Record<string, unknown>)[name]
    }
    return bound
  }
}
