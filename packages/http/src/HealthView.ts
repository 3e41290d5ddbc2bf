/**
 * What `/health` shows to whom. The route is open — a load balancer or an orchestrator checks
 * it without a key — but only a caller the API key lets in reads where the service's parts are:
 * to anyone else the answer names no host, port, URL or file path (the Redis endpoint, the
 * PostgreSQL server, the SQLite file, the Binance base URL, an address in an error message).
 * Statuses, counters and the rest of each message stay.
 *
 * - **API key set** (`PORTFOLIO_API_KEY`): a request with the key (`X-API-Key` or
 *   `Authorization: Bearer`, as on every route) gets the whole answer; any other gets it
 *   {@link redact}ed.
 * - **No API key set**: every route is open to whoever reaches the port (anyone may post events
 *   or read positions), so `/health` hides nothing either: the whole answer to everyone. Set a
 *   key to keep the endpoints out of reach.
 *
 * @since 0.2.0
 */
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type { ComponentHealth, ServiceHealth } from "@portfolio/core"
import { Effect, Exit, Redacted } from "effect"
import { ApiKeyAuth, bearerToken } from "./ApiKey.js"

/** What replaces a host, port, URL or path. */
export const HIDDEN = "<hidden>"

/** Detail keys whose values say where something is: left out entirely. */
const WHERE_KEY = /(^|_)(url|urls|uri|host|hostname|hosts|port|endpoint|address|path|file|dir|directory|dsn|server|redis|store|database)$/i

const SCRUBS: ReadonlyArray<readonly [RegExp, string]> = [
  // URLs of any scheme (redis://, postgres://, https://, wss://, file://).
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>,;)\]]*[^\s"'<>,;)\].:]/gi, HIDDEN],
  // IPv6 in brackets, with an optional port.
  [/\[[0-9a-f:.]+\](?::\d+)?/gi, HIDDEN],
  // IPv4, with an optional port.
  [/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.])/g, HIDDEN],
  // host:port (a name starting with a letter; times such as 09:00 are not names).
  [/(?<![\w.-])[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*:\d{1,5}(?!\d)/gi, HIDDEN],
  // Names in resolver errors: "getaddrinfo ENOTFOUND cache".
  [/\b(ENOTFOUND|EAI_AGAIN|ESERVFAIL|ENODATA)\s+[^\s,;)]+/g, `$1 ${HIDDEN}`],
  // Absolute and relative file paths of two segments or more.
  [/(?<![\w:/.-])\.{0,2}\/(?:[\w.@-]+\/)+[\w.@-]*/g, HIDDEN]
]

/** `text` with every host, port, URL and file path it names replaced by {@link HIDDEN}. */
export const scrub = (text: string): string => SCRUBS.reduce((t, [pattern, by]) => t.replace(pattern, by), text)

const scrubValue = (value: unknown): unknown => {
  if (typeof value === "string") return scrub(value)
  if (Array.isArray(value)) return value.map(scrubValue)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (!WHERE_KEY.test(k)) out[k] = scrubValue(v)
    return out
  }
  return value
}

const redactComponent = (c: ComponentHealth): ComponentHealth => {
  const { details, ...rest } = c
  return {
    ...rest,
    message: scrub(c.message),
    ...(details === undefined ? {} : { details: scrubValue(details) as Record<string, unknown> })
  }
}

/**
 * The health as an unauthenticated caller sees it: each component's message scrubbed
 * ({@link scrub}), its details without the keys that say where (`redis`, `store`, `*_url`,
 * `host`, `port`, `path`, …) and with every other text scrubbed.
 *
 * @example
 * redact(health).components.bus.message // "connected to <hidden>"
 */
export const redact = (health: ServiceHealth): ServiceHealth => {
  const components: Record<string, ComponentHealth> = {}
  for (const [name, c] of Object.entries(health.components)) components[name] = redactComponent(c)
  return { ...health, components }
}

/**
 * Whether the request in context may read the whole health: it carries what the API key
 * middleware lets in (always, when no key is set).
 */
export const entitled: Effect.Effect<boolean, never, ApiKeyAuth | HttpRouter.HttpRouter.Provided> = Effect.gen(function* () {
  const auth = yield* ApiKeyAuth
  const request = yield* HttpServerRequest.HttpServerRequest
  const token = bearerToken(request.headers["authorization"])
  const header = request.headers["x-api-key"]
  if (token !== undefined && Exit.isSuccess(yield* Effect.exit(auth.bearer(Redacted.make(token))))) return true
  return Exit.isSuccess(yield* Effect.exit(auth.apiKey(Redacted.make(header ?? ""))))
})

/** `health` whole for an {@link entitled} request, {@link redact}ed for any other. */
export const forRequest = (health: ServiceHealth): Effect.Effect<ServiceHealth, never, ApiKeyAuth | HttpRouter.HttpRouter.Provided> =>
  Effect.map(entitled, (whole) => (whole ? health : redact(health)))
