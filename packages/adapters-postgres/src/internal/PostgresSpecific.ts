/**
 * Everything that only PostgreSQL (the `pg` driver) understands, in one place: the pool's
 * settings (type parsers, `search_path`, statement timeout, error listeners), which failures
 * are worth retrying, and keeping the connection URL's secrets out of every error.
 *
 * @internal
 */
import { StoreError } from "@portfolio/core"
import { Redacted } from "effect"
import pg from "pg"

/** The settings of a pool, already validated. */
export interface PoolSettings {
  readonly url: Redacted.Redacted<string>
  readonly schema: string
  readonly poolSize: number
  readonly statementTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly applicationName: string
}

/**
 * int8 (`bigint`: epoch ms, counts, `seq`) and numeric come back as strings from `pg`; epoch
 * milliseconds and counts fit a double exactly, so they are parsed to numbers. The parsers are
 * this pool's own: `pg.types` (global, shared with any other user of `pg`) is not touched.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value)
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig["getTypeParser"]
}

/**
 * A pool on `settings.url`. Every connection has `search_path` set to the schema, the statement
 * timeout, and an error listener of its own: `pg` emits `error` on a client whose server went
 * away (a restart, `pg_terminate_backend`), and an unheard `error` would end the process. The
 * failure itself reaches whoever was using the client, as a failed query.
 */
export const makePool = (settings: PoolSettings): pg.Pool => {
  const pool = new pg.Pool({
    connectionString: Redacted.value(settings.url),
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: settings.applicationName,
    options: `-c search_path=${settings.schema}`,
    types,
    keepAlive: true,
    ...(settings.statementTimeoutMs > 0 ? { statement_timeout: settings.statementTimeoutMs } : {})
  })
  const ignore = () => {}
  pool.on("error", ignore)
  pool.on("connect", (client) => {
    client.on("error", ignore)
  })
  return pool
}

/** `host:port/database` of a URL: where the store is, with no user name and no password. */
export const where = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    const host = parsed.searchParams.get("host") ?? (parsed.hostname === "" ? "localhost" : parsed.hostname)
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default database)"
    return `${host}:${parsed.port === "" ? "5432" : parsed.port}/${database}`
  } catch {
    return "(unparsable PostgreSQL URL)"
  }
}

/** Whether the URL parses as `postgres://` or `postgresql://`. Never echoes it. */
export const isPostgresUrl = (url: Redacted.Redacted<string>): boolean => {
  try {
    const { protocol } = new URL(Redacted.value(url))
    return protocol === "postgres:" || protocol === "postgresql:"
  } catch {
    return false
  }
}

/**
 * A function that blanks out of a text everything secret in the URL: the whole URL, and its
 * password (as written and decoded). Applied to every message that leaves the adapter.
 */
export const scrubberOf = (url: Redacted.Redacted<string>): ((text: string) => string) => {
  const raw = Redacted.value(url)
  const secrets = new Set<string>([raw])
  try {
    const parsed = new URL(raw)
    if (parsed.password !== "") {
      secrets.add(parsed.password)
      try {
        secrets.add(decodeURIComponent(parsed.password))
      } catch {
        // the raw form is enough
      }
    }
    const password = parsed.searchParams.get("password")
    if (password !== null && password !== "") secrets.add(password)
  } catch {
    // an unparsable URL: only the whole text is known to be secret
  }
  const ordered = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)
  return (text) => ordered.reduce((t, secret) => t.split(secret).join("<redacted>"), text)
}

/** A failure as reported outside the adapter: the driver's error, copied, secrets removed. */
export class PostgresFailure extends Error {
  override readonly name = "PostgresFailure"
  constructor(
    message: string,
    /** SQLSTATE (`23505`, `57P01`, …) or the Node error code (`ECONNREFUSED`, …). */
    readonly code: string | undefined,
    /** The server's detail, if any (`Key (account_id, close_id)=(…) already exists.`). */
    readonly detail: string | undefined,
    /** The constraint violated, if any. */
    readonly constraint: string | undefined
  ) {
    super(message)
  }
}

const stringField = (cause: unknown, field: string): string | undefined => {
  const value = (cause as Record<string, unknown> | null)?.[field]
  return typeof value === "string" && value !== "" ? value : undefined
}

/** The SQLSTATE or Node error code of a thrown value, if any. */
export const errorCode = (cause: unknown): string | undefined => stringField(cause, "code")

/** A copy of a thrown value with the secrets of `scrub` removed. */
export const failureOf = (cause: unknown, scrub: (text: string) => string): PostgresFailure => {
  if (cause instanceof PostgresFailure) return cause
  const message = scrub(cause instanceof Error ? cause.message : String(cause))
  const detail = stringField(cause, "detail")
  return new PostgresFailure(message, errorCode(cause), detail === undefined ? undefined : scrub(detail), stringField(cause, "constraint"))
}

const retryableStates = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57014", // query_canceled: the statement timeout
  "57P01", // admin_shutdown: the server is stopping, or pg_terminate_backend
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting
  "57P05" // idle_session_timeout
])

const retryableNodeCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND"
])

const retryableMessages = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection (?:ended|closed|lost)/i,
  /query read timeout/i,
  /server closed the connection/i
]

/**
 * Trying again may succeed: the connection failed or was lost (SQLSTATE class `08`, refused,
 * reset, timed out), the server is shutting down or starting (`57P0x`), the statement timed out
 * or waited too long for a lock (`57014`, `55P03`), a serialization failure or deadlock
 * (`40001`, `40P01`), too many connections (class `53`). Constraint violations (`23…`) and every
 * other error are not retryable, nor is a pool that was closed.
 */
export const isRetryable = (cause: unknown): boolean => {
  const code = errorCode(cause)
  if (code !== undefined) {
    if (/^[0-9A-Z]{5}$/.test(code)) {
      if (code.startsWith("08") || code.startsWith("53")) return true
      if (retryableStates.has(code)) return true
      if (!code.startsWith("E")) return false
    }
    if (retryableNodeCodes.has(code)) return true
  }
  const message = cause instanceof Error ? cause.message : String(cause)
  if (/after calling end on the pool|pool has ended/i.test(message)) return false
  return retryableMessages.some((re) => re.test(message))
}

/** The connection behind a failure is unusable: it must be thrown away, not returned to the pool. */
export const isConnectionLost = (cause: unknown): boolean => {
  const code = errorCode(cause)
  if (code !== undefined && (code.startsWith("08") || code.startsWith("57P") || retryableNodeCodes.has(code))) return true
  const message = cause instanceof Error ? cause.message : String(cause)
  return retryableMessages.some((re) => re.test(message))
}

/** A failure of a store operation as a {@link StoreError}, secrets removed. */
export const toStoreError = (operation: string, cause: unknown, scrub: (text: string) => string): StoreError => {
  if (cause instanceof StoreError) return cause
  const failure = failureOf(cause, scrub)
  const reason = [
    failure.code === undefined || failure.message.includes(failure.code) ? failure.message : `${failure.code}: ${failure.message}`,
    failure.detail === undefined ? "" : ` (${failure.detail})`
  ].join("")
  return new StoreError({ operation, reason, retryable: isRetryable(cause), cause: failure })
}
