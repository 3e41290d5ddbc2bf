/**
 * The settings of a Redis bus, resolved from its options with the defaults of the Python
 * services' layout.
 */
import { BusError } from "@portfolio/core"
import { Duration, Effect } from "effect"
import { randomBytes } from "node:crypto"
import type { Options } from "../RedisEventBus.js"
import * as Connection from "./connection.js"

/** Resolved settings of one bus instance. */
export interface Settings {
  readonly endpoint: Connection.Endpoint
  readonly streamPrefix: string
  readonly deadLetterPrefix: string
  readonly maxLen: number
  readonly serviceName: string
  readonly consumerName: string
  readonly batchSize: number
  readonly blockMillis: number
  readonly claimIdleMillis: number
  readonly claimIntervalMillis: number
  readonly downAfterMillis: number
}

const millis = (input: Duration.DurationInput): number => Duration.toMillis(Duration.decode(input))

const invalid = (reason: string) => new BusError({ operation: "configure", reason, retryable: false })

/** Resolves options into settings, or fails naming the bad one (never echoing a URL). */
export const resolve = (options: Options): Effect.Effect<Settings, BusError> =>
  Effect.gen(function*() {
    const fromUrl = options.url === undefined ? undefined : Connection.parseUrl(options.url)
    if (typeof fromUrl === "string") return yield* invalid(`the Redis URL ${fromUrl}`)
    const endpoint: Connection.Endpoint = fromUrl ?? {
      host: options.host ?? "localhost",
      port: options.port ?? 6379,
      db: options.db ?? 0,
      password: options.password,
      tls: false
    }
    if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
      return yield* invalid(`port ${endpoint.port} is not between 1 and 65535`)
    }
    if (!Number.isInteger(endpoint.db) || endpoint.db < 0) return yield* invalid(`db ${endpoint.db} is not a non-negative integer`)
    const serviceName = options.serviceName ?? "portfolio_intelligence"
    if (!/^[A-Za-z0-9_.-]+$/.test(serviceName)) return yield* invalid(`service name ${JSON.stringify(serviceName)} must be letters, digits, _ . -`)
    const positive = { maxLen: options.maxLen ?? 10_000, batchSize: options.batchSize ?? 100 }
    for (const [name, value] of Object.entries(positive)) {
      if (!Number.isInteger(value) || value < 1) return yield* invalid(`${name} ${value} is not a positive integer`)
    }
    const claimIdleMillis = millis(options.claimIdle ?? "60 seconds")
    return {
      endpoint,
      streamPrefix: options.streamPrefix ?? "quantum:stream:",
      deadLetterPrefix: options.deadLetterPrefix ?? "quantum:dlq:",
      ...positive,
      serviceName,
      consumerName: `${serviceName}_${randomBytes(4).toString("hex")}`,
      blockMillis: Math.max(1, Math.round(millis(options.block ?? "1 second"))),
      claimIdleMillis,
      claimIntervalMillis: options.claimInterval === undefined ? claimIdleMillis / 2 : millis(options.claimInterval),
      downAfterMillis: millis(options.downAfter ?? "30 seconds")
    }
  })
