/**
 * The service's log: one line per entry on standard output, in logfmt (default), JSON or a
 * human-friendly format, from a minimum level.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `PORTFOLIO_LOG_LEVEL` | `INFO` | `ALL`, `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL` or `OFF` |
 * | `PORTFOLIO_LOG_FORMAT` | `logfmt` | `logfmt`, `json` or `pretty` |
 *
 * The request log ({@link RequestLog}) writes its `http` lines in the same format, without the
 * logger's per-entry machinery.
 *
 * @since 0.1.0
 */
import { Config, Context, Effect, Layer, Logger, LogLevel } from "effect"

/** How entries are written. */
export type Format = "logfmt" | "json" | "pretty"

/** The log's settings. */
export interface LogSettings {
  readonly level: LogLevel.LogLevel
  readonly format: Format
}

/** Reads the settings from the environment. */
export const config: Config.Config<LogSettings> = Config.all({
  level: Config.logLevel("PORTFOLIO_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  format: Config.string("PORTFOLIO_LOG_FORMAT").pipe(
    Config.map((f) => f.trim().toLowerCase()),
    Config.validate({
      message: "PORTFOLIO_LOG_FORMAT must be logfmt, json or pretty",
      validation: (f): f is Format => f === "logfmt" || f === "json" || f === "pretty"
    }),
    Config.withDefault<Format>("logfmt")
  )
})

const formats: Record<Format, Layer.Layer<never>> = {
  logfmt: Logger.logFmt,
  json: Logger.json,
  pretty: Logger.pretty
}

/** The logger of `settings`, replacing the default one. */
export const layer = (settings: LogSettings): Layer.Layer<never> =>
  Layer.merge(formats[settings.format], Logger.minimumLogLevel(settings.level))

/** The request log's lines wait at most this long before they are written (ms). */
export const FLUSH_MS = 20
/** … or until this many are waiting. */
export const FLUSH_LINES = 256

/** One request, as the request log writes it. */
export interface RequestEntry {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly durationMs: number
}

/**
 * The request log: one `http` line per request (method, path, status, duration_ms), at level
 * INFO, in the configured format — the same line the logger would write. Writing an entry
 * through the logger costs about 28 µs (its formatting machinery), more than serving a cached
 * snapshot; these lines are formatted directly and written together, at most {@link FLUSH_MS}
 * after the first of them (or {@link FLUSH_LINES} at a time).
 */
export class RequestLog extends Context.Tag("@portfolio/http/Logging/RequestLog")<RequestLog, { readonly write: (entry: RequestEntry) => void }>() {}

const logfmtValue = (value: string | number): string => {
  const text = String(value)
  return text === "" || /[\s="\\]/.test(text) ? JSON.stringify(text) : text
}

/** Milliseconds to two decimals, as the lines show `duration_ms`. */
const roundedMs = (ms: number): number => Math.round(ms * 100) / 100

/**
 * `entry`'s line written through the logger (the `http` message annotated with method, path,
 * status and `duration_ms`): what {@link RequestLog} writes directly, for a place that has no
 * `RequestLog`, and the `pretty` format's way.
 */
export const logRequest = (entry: RequestEntry): Effect.Effect<void> =>
  Effect.logInfo("http").pipe(
    Effect.annotateLogs({ method: entry.method, path: entry.path, status: entry.status, duration_ms: roundedMs(entry.durationMs) })
  )

/** A logfmt line's text before its method, at `now`. */
const logfmtHead = (now: Date): string => `timestamp=${now.toISOString()} level=INFO fiber=#0 message=http method=`

/** A logfmt line from its head (`logfmtHead`) and the entry's values, method and path already quoted as needed. */
const logfmtLine = (head: string, method: string, path: string, entry: RequestEntry): string =>
  `${head}${method} path=${path} status=${entry.status} duration_ms=${roundedMs(entry.durationMs)}`

/** The line of `entry` at `now` in `format` (logfmt and json as Effect's loggers write them; `fiber=#0`). */
export const formatRequest = (format: "logfmt" | "json", entry: RequestEntry, now: Date): string => {
  if (format === "logfmt") return logfmtLine(logfmtHead(now), logfmtValue(entry.method), logfmtValue(entry.path), entry)
  return JSON.stringify({
    message: "http",
    logLevel: "INFO",
    timestamp: now.toISOString(),
    annotations: { method: entry.method, path: entry.path, status: entry.status, duration_ms: roundedMs(entry.durationMs) },
    spans: {},
    fiberId: "#0"
  })
}

/**
 * The request log of `settings`, writing to `sink` (standard output by default): nothing when the
 * level is above INFO; lines joined in one write every {@link FLUSH_MS} (or {@link FLUSH_LINES}
 * lines), the rest flushed when the layer closes. The `pretty` format goes through the logger (it is for people, not
 * for speed).
 */
export const requestLog = (settings: LogSettings, sink: (text: string) => void = (text) => void process.stdout.write(text)): Layer.Layer<RequestLog> =>
  Layer.scoped(
    RequestLog,
    Effect.gen(function* () {
      if (!LogLevel.greaterThanEqual(LogLevel.Info, settings.level)) return { write: () => {} }
      const format = settings.format
      if (format === "pretty") {
        return {
          write: (entry: RequestEntry) => Effect.runSync(logRequest(entry).pipe(Effect.provide(formats.pretty)))
        }
      }
      // A request costs a push (its entry and time); the lines are made at the flush, together
      // (one timestamp per millisecond: in logfmt the whole text before the method; the few
      // methods and paths keep their quoted form).
      let entries: Array<RequestEntry> = []
      let times: Array<number> = []
      let scheduled: NodeJS.Timeout | undefined
      const values = new Map<string, string>()
      const value = (text: string): string => {
        let v = values.get(text)
        if (v === undefined) {
          v = logfmtValue(text)
          if (values.size < 1_000) values.set(text, v)
        }
        return v
      }
      const flush = () => {
        if (scheduled !== undefined) clearTimeout(scheduled)
        scheduled = undefined
        if (entries.length === 0) return
        let text = ""
        let lastMs = -1
        let now = new Date(0)
        let head = ""
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i]!
          const ms = times[i]!
          if (ms !== lastMs) {
            lastMs = ms
            now = new Date(ms)
            if (format === "logfmt") head = logfmtHead(now)
          }
          text += (format === "logfmt" ? logfmtLine(head, value(entry.method), value(entry.path), entry) : formatRequest(format, entry, now)) + "\n"
        }
        entries = []
        times = []
        sink(text)
      }
      yield* Effect.addFinalizer(() => Effect.sync(flush))
      return {
        write: (entry: RequestEntry) => {
          entries.push(entry)
          times.push(Date.now())
          // One write per FLUSH_MS or per FLUSH_LINES lines, whichever comes first: at tens of
          // thousands of requests a second, a write per event-loop turn was a fifth of the time.
          if (entries.length >= FLUSH_LINES) flush()
          else scheduled ??= setTimeout(flush, FLUSH_MS).unref()
        }
      }
    })
  )
