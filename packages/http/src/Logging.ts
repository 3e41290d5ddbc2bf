/**
 * The service's log: one line per entry on standard output, in logfmt (default), JSON or a
 * human-friendly format, from a minimum level.
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `PORTFOLIO_LOG_LEVEL` | `INFO` | `ALL`, `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL` or `OFF` |
 * | `PORTFOLIO_LOG_FORMAT` | `logfmt` | `logfmt`, `json` or `pretty` |
 *
 * @since 0.1.0
 */
import { Config, Layer, Logger, LogLevel } from "effect"

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
