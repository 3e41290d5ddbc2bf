/**
 * Everything that only SQLite (better-sqlite3) understands, in one place: connection pragmas
 * (WAL, synchronous, busy timeout), recognising a file that is not a database, and the error
 * codes that mean "busy, try again". The queries themselves are portable kysely; a move to
 * PostgreSQL replaces this module, not the stores.
 *
 * @internal
 */
import type BetterSqlite3 from "better-sqlite3"
import { StoreError } from "@portfolio/core"

/** How hard a commit is pushed to disk; both survive `kill -9`, `FULL` survives power loss. */
export type Synchronous = "FULL" | "NORMAL"

/**
 * Sets the connection up: write-ahead log (readers never block the writer), `synchronous`
 * as asked, a busy timeout for other processes' locks. The first statement to read the file:
 * it throws `SQLITE_NOTADB` when the file is not a database.
 */
export const configureConnection = (
  sqlite: BetterSqlite3.Database,
  options: { readonly synchronous: Synchronous; readonly busyTimeoutMs: number }
): void => {
  sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`)
  sqlite.pragma("journal_mode = WAL")
  sqlite.pragma(`synchronous = ${options.synchronous}`)
}

/** The SQLite error code of a thrown value (`SQLITE_BUSY`, `SQLITE_NOTADB`, …), if any. */
export const errorCode = (cause: unknown): string | undefined => {
  const code = (cause as { readonly code?: unknown } | null)?.code
  return typeof code === "string" ? code : undefined
}

/** The file at the path is not an SQLite database (random bytes, a damaged header). */
export const isNotADatabase = (cause: unknown): boolean => {
  const code = errorCode(cause)
  return code === "SQLITE_NOTADB" || code?.startsWith("SQLITE_CORRUPT") === true
}

/** Another connection holds a lock: trying again later may succeed. */
export const isBusy = (cause: unknown): boolean => {
  const code = errorCode(cause)
  return code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

/** `:memory:` and the empty path open a private in-memory database, with no file. */
export const isInMemory = (path: string): boolean => path === ":memory:" || path === ""

/** A failure of a store operation as a {@link StoreError}; lock contention is retryable. */
export const toStoreError = (operation: string, cause: unknown): StoreError => {
  if (cause instanceof StoreError) return cause
  const code = errorCode(cause)
  const text = cause instanceof Error ? cause.message : String(cause)
  return new StoreError({
    operation,
    reason: code === undefined ? text : `${code}: ${text}`,
    retryable: isBusy(cause),
    cause
  })
}
