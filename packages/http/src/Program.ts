/**
 * The service process: read and validate every setting first (nothing is opened before the
 * whole configuration is known to be good), print the adapters chosen, then run the HTTP
 * server on the portfolio service on the chosen adapters until interrupted. Interruption
 * (SIGTERM/SIGINT via `NodeRuntime.runMain`) closes the server first — in-flight requests
 * finish — then the service (it publishes a last snapshot), then the adapters (stores closed).
 *
 * @since 0.1.0
 */
import { PortfolioConfig, PortfolioLive } from "@portfolio/core"
import { Cause, Config, ConfigError, ConfigProvider, Console, Effect, Layer, Option } from "effect"
import * as Adapters from "./Adapters.js"
import * as HttpConfig from "./HttpConfig.js"
import * as Logging from "./Logging.js"
import * as Server from "./Server.js"

/** The name every line the process prints starts with. */
export const NAME = "portfolio-intelligence"

/** Every setting of the process. */
export interface Settings {
  readonly log: Logging.LogSettings
  readonly http: HttpConfig.HttpSettings
  readonly portfolio: PortfolioConfig.PortfolioConfigShape
  readonly adapters: Adapters.Choice
}

const TEXT = Config.string() as unknown as Config.Config.Primitive<string>

/**
 * `provider` with an empty (or blank) value read as no value: `PORTFOLIO_HTTP_PORT=` takes the
 * default, as if the variable were unset, for every variable of every package (core, adapters,
 * HTTP). A required variable left empty is reported missing.
 */
export const emptyAsUnset = (provider: ConfigProvider.ConfigProvider): ConfigProvider.ConfigProvider => {
  const flat = provider.flattened
  return ConfigProvider.fromFlat(
    ConfigProvider.makeFlat({
      patch: flat.patch,
      enumerateChildren: (path) => flat.enumerateChildren(path),
      load: (path, primitive, split = true) =>
        Effect.flatMap(flat.load(path, TEXT, false), (texts) =>
          texts.every((t) => t.trim() === "")
            ? Effect.fail(ConfigError.MissingData([...path], `Expected ${path.join("_")} to be set; it is empty`))
            : flat.load(path, primitive, split))
    })
  )
}

/** Where the process reads its settings: the environment, an empty variable counting as unset. */
export const configProvider: ConfigProvider.ConfigProvider = emptyAsUnset(ConfigProvider.fromEnv())

/** Reads and validates every setting from the environment. */
export const settings: Effect.Effect<Settings, ConfigError.ConfigError> = Effect.all({
  log: Logging.config,
  http: HttpConfig.config,
  portfolio: PortfolioConfig.config,
  adapters: Adapters.config
})

/** The server, the service and the adapters of `settings`, wired. */
export const layer = (s: Settings) =>
  Server.layer(s.http).pipe(
    Layer.provide(Logging.requestLog(s.log)),
    Layer.provide(PortfolioLive.layer),
    Layer.provide(Layer.succeed(PortfolioConfig.PortfolioConfig, s.portfolio)),
    Layer.provide(Adapters.layer(s.adapters))
  )

/** Reads the settings, then runs the service until interrupted. */
export const main = Effect.gen(function* () {
  const s = yield* settings
  return yield* Effect.gen(function* () {
    yield* Console.log(`${NAME} adapters: ${Adapters.describe(s.adapters)}`)
    yield* Effect.logInfo(Option.isSome(s.http.apiKey) ? "API key required on every endpoint but /health, /docs, /openapi.json" : "no API key: the API is open")
    return yield* Layer.launch(layer(s))
  }).pipe(
    // No tracer is exported: spans would only cost time on every request.
    Effect.provide(Layer.merge(Logging.layer(s.log), Layer.setTracerEnabled(false)))
  )
})

const configLines = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...configLines(error.left), ...configLines(error.right)]
    default: {
      const name = error.path.join("_")
      return [name === "" || error.message.includes(name) ? error.message : `${name}: ${error.message}`]
    }
  }
}

const messageOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const e = error as { readonly _tag?: string; readonly message?: string; readonly cause?: unknown }
    if (e._tag === "ServeError") return `cannot listen: ${messageOf(e.cause)}`
    if (typeof e.message === "string" && e.message !== "") return e.message
    if (typeof e._tag === "string") return e._tag
  }
  return String(error)
}

/**
 * What to print when the process cannot start or stops on an error: the variables at fault
 * for a bad configuration, the error's message otherwise — never a stack trace, except for a
 * defect (a bug), whose cause is printed whole.
 */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (ConfigError.isConfigError(error)) {
      return `${NAME}: bad configuration: ${[...new Set(configLines(error))].join("; ")}`
    }
    return `${NAME}: cannot start: ${messageOf(error)}`
  }
  return `${NAME}: stopped on a defect: ${Cause.pretty(cause)}`
}

/**
 * `main` on the environment ({@link configProvider}: empty variables unset), failures reported on
 * standard error as {@link describeFailure} says.
 */
export const run = main.pipe(
  Effect.withConfigProvider(configProvider),
  Effect.tapErrorCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : Console.error(describeFailure(cause))))
)
