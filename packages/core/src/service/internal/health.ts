/**
 * The service's health: each component as `ok | degraded | down`, `down` overall when a
 * required one is down, `degraded` when any is not ok.
 */
import { Clock, Effect } from "effect"
import type { Portfolio } from "../../domain/Portfolio.js"
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
  readonly state: Portfolio
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
    const storeHealth: ComponentHealth = yield* deps.store.ping.pipe(
      Effect.as({ status: "ok" as const, required: true, message: "reachable" }),
      Effect.catchAll((e) => Effect.succeed({ status: "down" as const, required: true, message: e.message })),
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
      balance: required(balance, true),
      price_feed: required(prices, false)
    }
    const now = yield* Clock.currentTimeMillis
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
        rejected: toRecord(deps.tally.rejected),
        orphan_closes: deps.state.counters.orphanCloses,
        over_closes: deps.state.counters.overCloses
      },
      last_snapshot_at: last === null ? null : formatEventTime(last),
      timestamp: formatEventTime(now)
    }
  })
