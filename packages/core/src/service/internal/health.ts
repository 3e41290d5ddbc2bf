/**
 * The service's health: each component as `ok | degraded | down`, `down` overall when a
 * required one is down, `degraded` when any is not ok.
 */
import { Clock, Effect, Either } from "effect"
import * as Portfolio from "../../domain/Portfolio.js"
import * as Reconciliation from "../../domain/Reconciliation.js"
import * as Valuation from "../../domain/Valuation.js"
import type { AccountBalanceService } from "../../ports/AccountBalance.js"
import type { EventBusService } from "../../ports/EventBus.js"
import type { PriceFeedService } from "../../ports/PriceFeed.js"
import type { TradeStoreService } from "../../ports/TradeStore.js"
import { formatEventTime } from "../../schema/Primitives.js"
import type { ComponentHealth, ComponentStatus, ServiceHealth } from "../../schema/Responses.js"
import { type Tally, toRecord } from "./tally.js"

interface Deps {
  readonly store: TradeStoreService
  readonly bus: EventBusService
  readonly balance: AccountBalanceService
  readonly prices: PriceFeedService
  readonly tally: Tally
  /** The current state (replaced whole when a failed batch reloads it). */
  readonly state: () => Portfolio.Portfolio
  readonly startedAt: number
  readonly version: string
  readonly serviceName: string
  readonly lastSnapshotAt: () => number | null
}

const required = (h: ComponentHealth, isRequired: boolean): ComponentHealth => ({ ...h, required: isRequired })

/** Combines component states: down if a required one is down, degraded if any is not ok. */
export const overall = (components: Record<string, ComponentHealth>): ComponentStatus => {
  const all = Object.values(components)
  if (all.some((c) => c.required && c.status === "down")) return "down"
  return all.some((c) => c.status !== "ok") ? "degraded" : "ok"
}

/** The health query of the service. */
export const makeHealth = (deps: Deps): Effect.Effect<ServiceHealth> =>
  Effect.gen(function* () {
    const where = deps.store.where
    const storeDetails = where === undefined ? {} : { details: { store: where } }
    const storeHealth: ComponentHealth = yield* deps.store.ping.pipe(
      Effect.as({ status: "ok" as const, required: true, message: where === undefined ? "reachable" : `reachable: ${where}`, ...storeDetails }),
      Effect.catchAll((e) => Effect.succeed({ status: "down" as const, required: true, message: e.message, ...storeDetails })),
      Effect.timeoutTo({
        duration: "2 seconds",
        onTimeout: () => ({ status: "down" as const, required: true, message: "no answer within 2 s" }),
        onSuccess: (h) => h
      })
    )
    const [bus, balance, prices] = yield* Effect.all([deps.bus.health, deps.balance.health, deps.prices.health], {
      concurrency: "unbounded"
    })
    const components: Record<string, ComponentHealth> = {
      store: storeHealth,
      bus: required(bus, true),
      balance: required(yield* balanceHealth(deps.balance, balance), true),
      price_feed: required(prices, false)
    }
    const now = yield* Clock.currentTimeMillis
    const reconciliation = yield* reconcile(deps, now)
    if (reconciliation !== undefined) components["reconciliation"] = reconciliation
    const last = deps.lastSnapshotAt()
    return {
      service: deps.serviceName,
      status: overall(components),
      version: deps.version,
      uptime_seconds: Math.max(0, (now - deps.startedAt) / 1000),
      components,
      events: {
        processed: toRecord(deps.tally.processed),
        duplicates: toRecord(deps.tally.duplicates),
        ignored: toRecord(deps.tally.ignored),
        parked: toRecord(deps.tally.parked),
        rejected: toRecord(deps.tally.rejected),
        failed: toRecord(deps.tally.failed),
        orphan_closes: deps.state().counters.orphanCloses,
        over_closes: deps.state().counters.overCloses,
        parked_closes: Portfolio.parkedCount(deps.state()),
        unconverted_fees: Object.fromEntries(deps.state().unconvertedFees)
      },
      last_snapshot_at: last === null ? null : formatEventTime(last),
      timestamp: formatEventTime(now)
    }
  })

/**
 * The balance as its port reports it, never `ok` while the cash it answers is stale (whatever
 * the port's own threshold): `degraded`, with `cash_stale_since`. A port that never read a
 * balance reports `down` itself.
 */
const balanceHealth = (balance: AccountBalanceService, reported: ComponentHealth): Effect.Effect<ComponentHealth> =>
  Effect.map(Effect.either(balance.balance), (cash) => {
    const since = Either.isRight(cash) && cash.right.source === "exchange" ? cash.right.staleSince : undefined
    if (since === undefined) return reported
    const details = { ...reported.details, cash_stale_since: formatEventTime(since) }
    return reported.status === "ok"
      ? { ...reported, status: "degraded" as const, message: `cash is the last known, stale since ${formatEventTime(since)}`, details }
      : { ...reported, details }
  })

/**
 * Our net positions against the exchange's, when cash comes from an exchange (paper cash has
 * no exchange book): `ok` when they match, `degraded` with each difference otherwise. Not
 * required: a difference is for an operator to look at, not a reason to stop serving.
 */
const reconcile = (deps: Deps, now: number): Effect.Effect<ComponentHealth | undefined> =>
  Effect.gen(function* () {
    const cash = yield* Effect.either(deps.balance.balance)
    if (Either.isLeft(cash) || cash.right.source !== "exchange") return undefined
    const theirs = yield* Effect.either(deps.balance.positions)
    if (Either.isLeft(theirs)) {
      return { status: "degraded" as const, required: false, message: `exchange positions unavailable: ${theirs.left.reason}` }
    }
    const ours = Valuation.netPositions(Valuation.value(deps.state(), 0, now))
    const report = Reconciliation.reconcile(ours, theirs.right)
    const differences = report.differences.map(Reconciliation.describe)
    return report.matched
      ? { status: "ok" as const, required: false, message: `${report.compared} position(s) match the exchange`, details: { compared: report.compared } }
      : {
          status: "degraded" as const,
          required: false,
          message: `${differences.length} difference(s) with the exchange: ${differences.slice(0, 3).join("; ")}`,
          details: { compared: report.compared, differences }
        }
  })
