/**
 * The handlers of {@link AnalyticsGroup}: each reads its query parameters (a bad one answers
 * 400 `bad_request` naming it in `details.parameter`), asks `PortfolioService.analytics`, and
 * answers its wire form. A store failure answers 500 (logged); no cash ever read, 503.
 *
 * @since 0.3.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { type AnalyticsWindow, AnalyticsQueries, PortfolioService, type StoreError } from "@portfolio/core"
import { Effect, Either } from "effect"
import { BadRequest, fromCashUnavailable, InternalError } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"

/** A query parameter that is not what its route accepts. */
const bad = (parameter: string, value: string, expected: string) =>
  Either.left(new BadRequest({ message: `query parameter ${parameter}: expected ${expected}, got ${JSON.stringify(value)}`, details: { parameter, value } }))

type Parsed<A> = Either.Either<A, BadRequest>

const oneOf = <const L extends string>(parameter: string, allowed: ReadonlyArray<L>, fallback: L) =>
(value: string | undefined): Parsed<L> =>
  value === undefined ? Either.right(fallback) : (allowed as ReadonlyArray<string>).includes(value) ? Either.right(value as L) : bad(parameter, value, allowed.join(", "))

const integer = (parameter: string, min: number, max: number, fallback: number) => (value: string | undefined): Parsed<number> => {
  if (value === undefined) return Either.right(fallback)
  const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN
  return n >= min && n <= max ? Either.right(n) : bad(parameter, value, `an integer from ${min} to ${max}`)
}

/** An instant: epoch milliseconds, or ISO 8601 (a date-time without an offset is UTC). */
export const parseTime = (parameter: string) => (value: string | undefined): Parsed<number | undefined> => {
  if (value === undefined) return Either.right(undefined)
  if (/^-?\d{1,16}$/.test(value)) return Either.right(Number(value))
  const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes("T") ? value : `${value}Z`
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(zoned) : Number.NaN
  return Number.isFinite(ms) ? Either.right(ms) : bad(parameter, value, "an ISO 8601 time or epoch milliseconds")
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** A duration: `<n><unit>` (`ms`, `s`, `m`, `h`, `d`, `w`) or milliseconds, at least 1 s, at most 366 days. */
export const parseResolution = (value: string | undefined): Parsed<number | undefined> => {
  if (value === undefined) return Either.right(undefined)
  const m = /^(\d{1,9})(ms|s|m|h|d|w)?$/.exec(value)
  const ms = m === null ? Number.NaN : Number(m[1]) * UNIT_MS[m[2] ?? "ms"]!
  return ms >= 1_000 && ms <= 366 * 86_400_000 ? Either.right(ms) : bad("resolution", value, "a duration such as 10s, 1m, 1h or 1d (1 s to 366 d), or milliseconds")
}

const windowOf = oneOf<AnalyticsWindow>("window", ["30d", "90d", "1y", "all"], "all")

const periodsPerYear = (value: string | undefined): Parsed<number> => {
  if (value === undefined) return Either.right(365)
  const n = /^\d{1,4}(\.\d{1,6})?$/.test(value) ? Number(value) : Number.NaN
  return n >= 1 && n <= 100_000 ? Either.right(n) : bad("periods_per_year", value, "a number from 1 to 100000 (365 for daily crypto returns, 252 for equities)")
}

const cursorOf = (value: string | undefined): Parsed<AnalyticsQueries.Cursor | undefined> => {
  if (value === undefined) return Either.right(undefined)
  const cursor = AnalyticsQueries.decodeCursor(value)
  return cursor === null ? bad("cursor", value, "the next_cursor of a previous page") : Either.right(cursor)
}

/** Store failures answer 500, logged; what the answer says holds no detail of the store. */
const internal = (error: StoreError) =>
  Effect.logError("analytics query failed", error).pipe(
    Effect.zipRight(Effect.fail(new InternalError({ message: "the store failed; see the service's log" })))
  )

const answer = <A, E extends { readonly _tag: string }>(self: Effect.Effect<A, E | StoreError>) =>
  self.pipe(
    Effect.catchIf((e): e is StoreError => e._tag === "StoreError", internal),
    Effect.catchIf(
      (e): e is Extract<E, { readonly _tag: "CashUnavailable" }> => e._tag === "CashUnavailable",
      (e) => Effect.fail(fromCashUnavailable(e as never))
    )
  ) as Effect.Effect<A, InternalError | ReturnType<typeof fromCashUnavailable>>

/** Every route of `AnalyticsGroup` on `PortfolioService`. */
export const layer = HttpApiBuilder.group(PortfolioApi, "analytics", (handlers) =>
  Effect.gen(function*() {
    const service = yield* PortfolioService
    const queries = service.analytics
    return handlers
      .handle("equity", ({ urlParams }) =>
        Effect.gen(function*() {
          const from = yield* parseTime("from")(urlParams.from)
          const to = yield* parseTime("to")(urlParams.to)
          const resolutionMs = yield* parseResolution(urlParams.resolution)
          if (from !== undefined && to !== undefined && to <= from) {
            return yield* Effect.fail(new BadRequest({ message: "query parameter to: must be after from", details: { parameter: "to" } }))
          }
          return yield* answer(queries.equity({ from, to, resolutionMs }))
        }))
      .handle("drawdownHistory", ({ urlParams }) =>
        Effect.gen(function*() {
          const window = yield* windowOf(urlParams.window)
          const worst = yield* integer("worst", 1, 100, 5)(urlParams.worst)
          return yield* answer(queries.drawdownHistory(window, worst))
        }))
      .handle("analytics", ({ urlParams }) =>
        Effect.gen(function*() {
          const window = yield* windowOf(urlParams.window)
          const perYear = yield* periodsPerYear(urlParams.periods_per_year)
          return yield* answer(queries.analytics(window, perYear))
        }))
      .handle("performance", ({ urlParams }) => Effect.flatMap(windowOf(urlParams.window), (w) => answer(queries.performance(w))))
      .handle("periods", ({ urlParams }) =>
        Effect.gen(function*() {
          const unit = yield* oneOf("unit", ["day", "week", "month"], "day")(urlParams.unit)
          const count = yield* integer("count", 1, 1_000, 30)(urlParams.count)
          return yield* answer(queries.periods(unit, count))
        }))
      .handle("heatmap", ({ urlParams }) =>
        Effect.gen(function*() {
          const by = yield* oneOf("by", ["weekday_hour", "symbol_month"], "weekday_hour")(urlParams.by)
          const window = yield* windowOf(urlParams.window)
          return yield* answer(queries.heatmap(by, window))
        }))
      .handle("riskBuckets", () => answer(queries.riskBuckets))
      .handle("correlation", ({ urlParams }) => Effect.flatMap(windowOf(urlParams.window), (w) => answer(queries.correlation(w))))
      .handle("trades", ({ urlParams }) =>
        Effect.gen(function*() {
          const status = yield* oneOf("status", ["open", "closed"], "closed")(urlParams.status)
          const from = yield* parseTime("from")(urlParams.from)
          const to = yield* parseTime("to")(urlParams.to)
          const limit = yield* integer("limit", 1, 1_000, 100)(urlParams.limit)
          const cursor = yield* cursorOf(urlParams.cursor)
          return yield* answer(queries.trades({ status, from, to, symbol: urlParams.symbol, limit, cursor }))
        }))
  }))
