/**
 * The HTTP server's settings, read from the environment through effect `Config` and validated
 * at start (a bad value fails naming its variable; the API key is never echoed).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `PORTFOLIO_HTTP_PORT` | `8004` | port to listen on; `0` = any free port |
 * | `PORTFOLIO_HTTP_HOST` | `0.0.0.0` | address to listen on |
 * | `PORTFOLIO_API_KEY` | — | when set (non-empty), required by every endpoint but `/health`, `/docs`, `/openapi.json` |
 * | `PORTFOLIO_CORS_ORIGINS` | — | comma-separated origins allowed by CORS, or `*`; none: no CORS |
 * | `PORTFOLIO_HTTP_MAX_BODY_BYTES` | `4194304` | largest request body (413 above): 4 MiB, room for 10 000 envelopes |
 * | `PORTFOLIO_HTTP_LOG_REQUESTS` | `true` | one log line per request |
 * | `PORTFOLIO_HTTP_SHUTDOWN_GRACE` | `8 seconds` | how long a stop waits for in-flight requests |
 * | `PORTFOLIO_DASHBOARD_DIR` | `packages/dashboard/dist` | the built dashboard served at `/` |
 * | `PORTFOLIO_PUSH_HEARTBEAT` | `15 seconds` | silence after which the push routes send a heartbeat (SSE comment, WebSocket ping) |
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Duration, Either, Option, Redacted } from "effect"
import { DEFAULT_MAX_BYTES } from "./RequestBody.js"

/** The HTTP server's settings. */
export interface HttpSettings {
  readonly port: number
  readonly host: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly corsOrigins: ReadonlyArray<string>
  readonly maxBodyBytes: number
  readonly logRequests: boolean
  readonly shutdownGrace: Duration.Duration
  /** The built dashboard's directory (default: `packages/dashboard/dist` of this repository). */
  readonly dashboardDir?: string | undefined
  /** Silence after which the push routes send a heartbeat (default 15 seconds). */
  readonly pushHeartbeat?: Duration.Duration | undefined
}

/** The default port, the original service's. */
export const DEFAULT_PORT = 8004

/**
 * Parses a CORS origin list: `*`, or origins such as `https://dash.example.com:8443`
 * (scheme, host, optional port; no path). Fails naming `PORTFOLIO_CORS_ORIGINS`.
 */
export const parseOrigins = (text: string): Either.Either<ReadonlyArray<string>, ConfigError.ConfigError> => {
  const origins: Array<string> = []
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    if (part === "*") {
      origins.push(part)
      continue
    }
    let url: URL | undefined
    try {
      url = new URL(part)
    } catch {
      url = undefined
    }
    if (url === undefined || url.origin === "null" || url.origin !== part.replace(/\/$/, "").toLowerCase()) {
      return Either.left(
        ConfigError.InvalidData(
          ["PORTFOLIO_CORS_ORIGINS"],
          `expected * or origins such as https://dashboard.example.com (scheme, host, optional port, no path), got ${JSON.stringify(part)}`
        )
      )
    }
    origins.push(url.origin)
  }
  return Either.right(origins)
}

/** Reads and validates the settings from the environment. */
export const config: Config.Config<HttpSettings> = Config.all({
  port: Config.integer("PORTFOLIO_HTTP_PORT").pipe(
    Config.validate({ message: "PORTFOLIO_HTTP_PORT must be a port number from 0 to 65535", validation: (p) => p >= 0 && p <= 65535 }),
    Config.withDefault(DEFAULT_PORT)
  ),
  host: Config.string("PORTFOLIO_HTTP_HOST").pipe(
    Config.map((h) => h.trim()),
    Config.validate({ message: "PORTFOLIO_HTTP_HOST must not be empty", validation: (h) => h !== "" }),
    Config.withDefault("0.0.0.0")
  ),
  apiKey: Config.option(Config.redacted("PORTFOLIO_API_KEY")).pipe(
    Config.map(Option.filter((key) => Redacted.value(key).trim() !== ""))
  ),
  corsOrigins: Config.string("PORTFOLIO_CORS_ORIGINS").pipe(Config.withDefault(""), Config.mapOrFail(parseOrigins)),
  maxBodyBytes: Config.integer("PORTFOLIO_HTTP_MAX_BODY_BYTES").pipe(
    Config.validate({ message: "PORTFOLIO_HTTP_MAX_BODY_BYTES must be a positive number of bytes", validation: (n) => n > 0 }),
    Config.withDefault(DEFAULT_MAX_BYTES)
  ),
  logRequests: Config.boolean("PORTFOLIO_HTTP_LOG_REQUESTS").pipe(Config.withDefault(true)),
  shutdownGrace: Config.duration("PORTFOLIO_HTTP_SHUTDOWN_GRACE").pipe(Config.withDefault(Duration.seconds(8))),
  dashboardDir: Config.option(Config.string("PORTFOLIO_DASHBOARD_DIR")).pipe(Config.map(Option.getOrUndefined)),
  pushHeartbeat: Config.duration("PORTFOLIO_PUSH_HEARTBEAT").pipe(
    Config.validate({ message: "PORTFOLIO_PUSH_HEARTBEAT must be at least 10 millis", validation: (d) => Duration.toMillis(d) >= 10 }),
    Config.withDefault(Duration.seconds(15))
  )
})

/** Settings given in code (tests, embedding); unspecified fields take the defaults. */
export const make = (settings: Partial<HttpSettings> = {}): HttpSettings => ({
  port: settings.port ?? DEFAULT_PORT,
  host: settings.host ?? "0.0.0.0",
  apiKey: settings.apiKey ?? Option.none(),
  corsOrigins: settings.corsOrigins ?? [],
  maxBodyBytes: settings.maxBodyBytes ?? DEFAULT_MAX_BYTES,
  logRequests: settings.logRequests ?? true,
  shutdownGrace: settings.shutdownGrace ?? Duration.seconds(8),
  dashboardDir: settings.dashboardDir,
  pushHeartbeat: settings.pushHeartbeat
})
