/**
 * Connections to Redis: the ioredis options (reconnect with exponential backoff, commands
 * that wait across a restart), opening and closing them with a scope, errors as `BusError`,
 * and the state of a connection for health.
 */
import { BusError } from "@portfolio/core"
import { Effect, Redacted, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"

/** Where Redis is, resolved from a URL or host/port; the password stays redacted. */
export interface Endpoint {
  readonly host: string
  readonly port: number
  readonly db: number
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly tls: boolean
}

/** Delay before reconnect attempt `attempt` (1, 2, …): 50 ms doubling, at most 2 s. */
export const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt - 1, 6), 2_000)

/**
 * Reconnect attempts a command waits through before it fails: with {@link reconnectDelay}
 * about 30 s of outage, so a Redis restart delays commands instead of failing them.
 */
export const maxRetriesPerRequest = 20

/** `redis://host:port/db` (or `rediss://`) without credentials: safe to log and show. */
export const describeEndpoint = (endpoint: Endpoint): string =>
  `${endpoint.tls ? "rediss" : "redis"}://${endpoint.host}:${endpoint.port}/${endpoint.db}`

/**
 * Reads a `redis://[user:password@]host[:port][/db]` URL. The error never repeats the URL,
 * which may hold the password.
 */
export const parseUrl = (url: Redacted.Redacted<string>): Endpoint | string => {
  let parsed: URL
  try {
    parsed = new URL(Redacted.value(url))
  } catch {
    return "is not a valid URL (expected redis://[user:password@]host[:port][/db])"
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return `has scheme ${JSON.stringify(parsed.protocol)}; expected redis: or rediss:`
  }
  const dbText = parsed.pathname.replace(/^\//, "")
  const db = dbText === "" ? 0 : Number(dbText)
  if (!Number.isInteger(db) || db < 0) return "has a database path that is not a non-negative integer"
  const port = parsed.port === "" ? 6379 : Number(parsed.port)
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port,
    db,
    username: parsed.username === "" ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === "" ? undefined : Redacted.make(decodeURIComponent(parsed.password)),
    tls: parsed.protocol === "rediss:"
  }
}

/**
 * What a connection is for: `commands` (publish, ack, dead-letter; closed with `QUIT`) or a
 * blocking `reader` (closed at once).
 */
export type Role = "commands" | "reader"

const optionsOf = (endpoint: Endpoint, connectionName: string, role: Role): RedisOptions => ({
  host: endpoint.host,
  port: endpoint.port,
  db: endpoint.db,
  ...(endpoint.username !== undefined ? { username: endpoint.username } : {}),
  ...(endpoint.password !== undefined ? { password: Redacted.value(endpoint.password) } : {}),
  ...(endpoint.tls ? { tls: {} } : {}),
  connectionName,
  retryStrategy: reconnectDelay,
  maxRetriesPerRequest,
  enableReadyCheck: true,
  // Commands issued together (a batch of acks, concurrent publishes) go out in one write;
  // a reader issues one (blocking) command at a time.
  enableAutoPipelining: role === "commands"
})

/** The state of a connection, as health reports it. */
export interface ConnectionState {
  readonly ready: boolean
  /** When the connection last stopped being ready (or was opened, if never ready yet), epoch ms. */
  readonly since: number
  readonly lastError: string | undefined
  /**
   * How many times the connection has closed. A reply that comes back under another
   * generation than its command was sent in may be the reply of a command ioredis sent
   * again after reconnecting: the reader starts over rather than trust it.
   */
  readonly generation: number
}

/** An open connection and its state. */
export interface Connection {
  readonly redis: Redis
  readonly state: () => ConnectionState
}

/** Opens a connection for the life of the scope and tracks its state. */
export const open = (
  endpoint: Endpoint,
  connectionName: string,
  options: { readonly role: Role }
): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const state = { ready: false, since: clock.unsafeCurrentTimeMillis(), lastError: undefined as string | undefined, generation: 0 }
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const redis = new Redis(optionsOf(endpoint, connectionName, options.role))
        redis.on("ready", () => {
          state.ready = true
          state.lastError = undefined
        })
        redis.on("close", () => {
          if (state.ready) state.since = clock.unsafeCurrentTimeMillis()
          state.ready = false
          state.generation++
        })
        // ioredis errors name the address and the cause, never the password.
        redis.on("error", (error: Error) => {
          state.lastError = error.message
        })
        return redis
      }),
      (redis) => Effect.suspend(() => (options.role === "commands" ? closeGracefully(redis) : closeNow(redis)))
    )
    return { redis, state: () => ({ ...state }) }
  })

/**
 * Closes a connection at once and waits (at most 2 s) until its socket is closed, by which
 * time Redis has dropped the client: a blocked `XREADGROUP` of it takes no more entries.
 * Finalizers are uninterruptible, so the wait is made interruptible for its timeout to work.
 */
const closeNow = (redis: Redis): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const connected = redis.status === "ready" || redis.status === "connect"
    if (connected) redis.once("end", () => resume(Effect.void))
    redis.disconnect()
    if (!connected) resume(Effect.void)
  }).pipe(Effect.interruptible, Effect.timeout("2 seconds"), Effect.ignore)

/** Closes a connection with `QUIT` when it is up (at most 1 s), else (or then) at once. */
const closeGracefully = (redis: Redis): Effect.Effect<void> =>
  (redis.status === "ready"
    ? Effect.tryPromise(() => redis.quit()).pipe(Effect.interruptible, Effect.timeout("1 second"), Effect.ignore)
    : Effect.void
  ).pipe(Effect.zipRight(closeNow(redis)))

const transient = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN)\b/

const busError = (operation: string, cause: unknown): BusError => {
  const error = cause instanceof Error ? cause : new Error(String(cause))
  const refused = error.name === "ReplyError" && !transient.test(error.message)
  return new BusError({ operation, reason: error.message, retryable: !refused, cause })
}

/** Runs one Redis command, failing with a `BusError` (retryable unless Redis refused it). */
export const command = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, BusError> =>
  Effect.tryPromise({ try: run, catch: (cause) => busError(operation, cause) })

/**
 * Wraps a command so that a connection silent past `limitMillis` while it says it is up (a
 * dead socket would otherwise hang forever) is dropped and reconnected: the command in flight
 * is then aborted, or sent again after reconnecting (ioredis resends unanswered commands). The
 * command itself is never abandoned, so nothing it reads is lost unseen.
 */
export const watched = <A>(redis: Redis, limitMillis: number, run: () => Promise<A>) => (): Promise<A> => {
  const timer = setInterval(() => {
    if (redis.status === "ready") redis.disconnect(true)
  }, limitMillis)
  return run().finally(() => clearInterval(timer))
}

/** One command of a batch: its name (an ioredis method, lower case) and its arguments. */
export type Command = readonly [name: string, ...args: Array<string>]

/**
 * Sends commands in one round trip, as a pipeline or as `MULTI … EXEC` (`atomic`), and gives
 * their replies in order. Fails when the batch or any command in it failed, unless `tolerate`
 * accepts that command's error (its reply is then `undefined`).
 */
export const batch = (
  redis: Redis,
  operation: string,
  commands: ReadonlyArray<Command>,
  options: {
    readonly atomic?: boolean
    readonly tolerate?: (error: Error) => boolean
    /** Watch the connection (see {@link watched}) while waiting for the replies. */
    readonly watchdogMillis?: number
  } = {}
): Effect.Effect<Array<unknown>, BusError> => {
  if (commands.length === 0) return Effect.succeed([])
  const send = () =>
    (options.atomic === true
      ? redis.multi(commands as unknown as Array<Array<string>>)
      : redis.pipeline(commands as unknown as Array<Array<string>>)).exec()
  return Effect.flatMap(
      command(operation, options.watchdogMillis === undefined ? send : watched(redis, options.watchdogMillis, send)),
      (results) => {
        if (results === null) return Effect.fail(new BusError({ operation, reason: "the transaction was discarded", retryable: true }))
        const replies: Array<unknown> = []
        for (const [error, reply] of results) {
          if (error !== null && !(options.tolerate?.(error) ?? false)) return Effect.fail(busError(operation, error))
          replies.push(error === null ? reply : undefined)
        }
        return Effect.succeed(replies)
      }
    )
}
