/**
 * The settings of a Redis bus, resolved from its options with the defaults of the Python
 * services' layout.
 */
import { Account, BusError } from "@portfolio/core"
import { Duration, Effect } from "effect"
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import type { Options } from "../RedisOptions.js"
import * as Connection from "./connection.js"

/** Resolved settings of one bus instance. */
export interface Settings {
  readonly endpoint: Connection.Endpoint
  /** The endpoint as text without credentials, `redis://host:port/db`: the one form logs and health show. */
  readonly where: string
  readonly streamPrefix: string
  readonly deadLetterPrefix: string
  readonly maxLen: number
  readonly serviceName: string
  /** The account this instance serves. */
  readonly accountId: string
  /** The name in the consumer groups, `Account.busName(serviceName, accountId)`. */
  readonly busName: string
  /** The stable consumer name of the bus's first subscription. */
  readonly consumerName: string
  readonly batchSize: number
  readonly blockMillis: number
  readonly claimIdleMillis: number
  readonly claimIntervalMillis: number
  readonly downAfterMillis: number
}

const millis = (input: Duration.DurationInput): number => Duration.toMillis(Duration.decode(input))

const invalid = (reason: string) => new BusError({ operation: "configure", reason, retryable: false })

const namePattern = /^[A-Za-z0-9_.:-]+$/

/**
 * The stable consumer name `<service>_<8 hex>`: the 8 hex are the start of the SHA-256 of the
 * host name and the account id, so the same instance gets the same name after a restart.
 */
export const stableConsumerName = (serviceName: string, host: string, accountId: string): string =>
  `${serviceName}_${createHash("sha256").update(`${host}\n${accountId}`).digest("hex").slice(0, 8)}`

/** Where the options point, or why they point nowhere (never echoing a URL). */
export const endpointOf = (options: Options): Connection.Endpoint | string => {
  const fromUrl = options.url === undefined ? undefined : Connection.parseUrl(options.url)
  if (typeof fromUrl === "string") return `the Redis URL ${fromUrl}`
  const endpoint: Connection.Endpoint = fromUrl ?? {
    host: options.host ?? "localhost",
    port: options.port ?? 6379,
    db: options.db ?? 0,
    password: options.password,
    tls: false
  }
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    return `port ${endpoint.port} is not between 1 and 65535`
  }
  if (!Number.isInteger(endpoint.db) || endpoint.db < 0) return `db ${endpoint.db} is not a non-negative integer`
  return endpoint
}

/** Resolves options into settings, or fails naming the bad one (never echoing a URL). */
export const resolve = (options: Options): Effect.Effect<Settings, BusError> =>
  Effect.gen(function*() {
    const endpoint = endpointOf(options)
    if (typeof endpoint === "string") return yield* invalid(endpoint)
    const serviceName = options.serviceName ?? "portfolio_intelligence"
    if (!/^[A-Za-z0-9_.-]+$/.test(serviceName)) return yield* invalid(`service name ${JSON.stringify(serviceName)} must be letters, digits, _ . -`)
    const accountId = options.accountId ?? Account.DEFAULT_ACCOUNT_ID
    if (!Account.isValidAccountId(accountId)) return yield* invalid(`account id ${JSON.stringify(accountId)} must be ${Account.accountIdRule}`)
    const streamPrefix = options.streamPrefix ?? "quantum:stream:"
    const deadLetterPrefix = options.deadLetterPrefix ?? "quantum:dlq:"
    if (streamPrefix === "" || deadLetterPrefix === "") return yield* invalid("the stream and dead-letter prefixes must not be empty")
    if (streamPrefix === deadLetterPrefix) return yield* invalid(`the dead-letter prefix must differ from the stream prefix (both ${JSON.stringify(streamPrefix)})`)
    const consumerName = options.consumerName ?? stableConsumerName(serviceName, hostname(), accountId)
    if (!namePattern.test(consumerName)) return yield* invalid(`consumer name ${JSON.stringify(consumerName)} must be letters, digits, _ . : -`)
    const positive = { maxLen: options.maxLen ?? 10_000, batchSize: options.batchSize ?? 500 }
    for (const [name, value] of Object.entries(positive)) {
      if (!Number.isInteger(value) || value < 1) return yield* invalid(`${name} ${value} is not a positive integer`)
    }
    const claimIdleMillis = millis(options.claimIdle ?? "60 seconds")
    return {
      endpoint,
      where: Connection.describeEndpoint(endpoint),
      streamPrefix,
      deadLetterPrefix,
      ...positive,
      serviceName,
      accountId,
      busName: Account.busName(serviceName, accountId),
      consumerName,
      blockMillis: Math.max(1, Math.round(millis(options.block ?? "1 second"))),
      claimIdleMillis,
      claimIntervalMillis: Math.max(1, options.claimInterval === undefined ? claimIdleMillis / 2 : millis(options.claimInterval)),
      downAfterMillis: millis(options.downAfter ?? "30 seconds")
    }
  })
