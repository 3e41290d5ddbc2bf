/**
 * Named prepared statements whose SQL kysely wrote once, when the store was made: running one
 * is binding values, nothing else. `pg` parses a named statement once per connection and runs
 * it by name from then on (no parse, no plan of the text per call).
 *
 * Statements that write many rows take one array per column and `unnest` them, so a whole call
 * of `commitMany` is a handful of statements whatever its number of rows: over a network a
 * statement per row would be a round trip per row.
 *
 * Also the transaction the commit path holds: `begin`, the body, `commit`, on one client of
 * the pool, rolled back on failure; a client whose connection was lost is thrown away.
 *
 * @internal
 */
import type { Compilable } from "kysely"
import type pg from "pg"
import * as PostgresSpecific from "./PostgresSpecific.js"

/** Something a statement runs on: a client of the pool, or the pool (one client per statement). */
export type Queryable = Pick<pg.ClientBase, "query">

/** A statement compiled once, run by name with the values of `P`. */
export interface Statement<P, R> {
  readonly name: string
  readonly text: string
  readonly run: (on: Queryable, values: P) => Promise<pg.QueryResult<R & pg.QueryResultRow>>
}

/** Every key of `P`, each `true`: the compiler checks that none is missing or extra. */
export type Names<P> = { readonly [K in keyof P]-?: true }

const marker = "\u0000Statement.param:"

/** The placeholder of the value named `name`, typed as the value it stands for. */
export const param = <T>(name: string): T => `${marker}${name}` as unknown as T

/** Placeholders for every key of `P`: `{ a: param("a"), b: param("b") }`. */
export const placeholders = <P>(names: Names<P>): P =>
  Object.fromEntries(Object.keys(names).map((name) => [name, param(name)])) as P

/**
 * Compiles `build(params)` once; `params` are {@link placeholders} where each run's values go.
 * `name` must be unique among the statements of a pool (`pg` keeps them per connection by name).
 */
export const prepare = <P, R>(name: string, params: P, build: (params: P) => Compilable<R>): Statement<P, R> => {
  const compiled = build(params).compile()
  const names = compiled.parameters.map((p) => (typeof p === "string" && p.startsWith(marker) ? p.slice(marker.length) : undefined))
  const constants = compiled.parameters
  const text = compiled.sql
  return {
    name,
    text,
    run: (on, values) => {
      const bound = new Array<unknown>(names.length)
      for (let i = 0; i < names.length; i++) {
        const key = names[i]
        bound[i] = key === undefined ? constants[i] : (values as Record<string, unknown>)[key]
      }
      return on.query<R & pg.QueryResultRow>({ name, text, values: bound })
    }
  }
}

/**
 * Runs `body` in a transaction on one client of `pool`: `begin`, `body`, `commit`; `rollback`
 * when anything fails (and the failure is rethrown). A client whose connection was lost (or
 * whose rollback failed) is discarded, so the pool opens a fresh one next time: the store
 * recovers from a server restart without being rebuilt.
 *
 * `options.lock`: a transaction-scoped advisory lock taken right after `begin`, so transactions
 * with the same lock run one after the other.
 *
 * A `commit` whose answer is lost with the connection may or may not have been applied: it is
 * reported as a retryable failure, and the retry answers `"duplicate"` for what was applied.
 */
export const inTransaction = async <A>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<A>,
  options: { readonly lock?: readonly [number, number] | undefined } = {}
): Promise<A> => {
  const client = await pool.connect()
  let discard: Error | undefined
  try {
    // With a lock: `begin` and the transaction-scoped advisory lock in one round trip (simple
    // protocol, two integer literals: nothing to escape).
    await client.query(
      options.lock === undefined
        ? "begin"
        : `begin; select pg_advisory_xact_lock(${options.lock[0] | 0}, ${options.lock[1] | 0})`
    )
    try {
      const result = await body(client)
      await client.query("commit")
      return result
    } catch (error) {
      if (!PostgresSpecific.isConnectionLost(error)) {
        await client.query("rollback").catch((rollbackError: unknown) => {
          discard = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        })
      }
      throw error
    }
  } catch (error) {
    if (discard === undefined && PostgresSpecific.isConnectionLost(error)) {
      discard = error instanceof Error ? error : new Error(String(error))
    }
    throw error
  } finally {
    client.release(discard)
  }
}
