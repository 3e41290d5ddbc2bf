/**
 * The service on memory ports, for the service's tests: ports built once so that two service
 * lifetimes can share them, a start that returns a graceful stop, and one polling helper.
 */
import { Context, Effect, Exit, Layer, Scope } from "effect"
import * as Testing from "../../src/testing/Eventually.js"
import {
  AccountBalance,
  EquityHistory,
  EventBus,
  MemoryEquityHistory,
  MemoryEventBus,
  MemoryPriceFeed,
  MemoryTradeStore,
  PaperBalance,
  PortfolioConfig,
  PortfolioLive,
  PortfolioService,
  PriceFeed,
  TradeStore,
  encodeIncoming,
  type IncomingEventType
} from "../../src/index.js"

export const T0 = Date.parse("2025-03-07T09:00:00Z") // a Friday
export const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "") // Python's zone-less form
export const HOUR = 3_600_000
export const DAY = 24 * HOUR

/** The memory ports, built once so that two service lifetimes can share them. */
export const makePortsWith = (storeOptions: MemoryTradeStore.Options = {}) => Effect.gen(function* () {
  const store = yield* MemoryTradeStore.makeWith(storeOptions)
  const history = yield* MemoryEquityHistory.make
  const { bus, inspector } = yield* MemoryEventBus.make()
  const { control, feed } = yield* MemoryPriceFeed.make()
  const context = Context.make(TradeStore, store).pipe(
    Context.add(EquityHistory, history),
    Context.add(EventBus, bus),
    Context.add(PriceFeed, feed),
    Context.add(AccountBalance, PaperBalance.make(10_000))
  )
  return { context, inspector, control, store, history }
})
export const makePorts = makePortsWith()
export type Ports = Effect.Effect.Success<typeof makePorts>

/** Starts the service on the ports; `stop` closes its scope (graceful stop). */
export const start = (ports: Ports, settings: Partial<PortfolioConfig.PortfolioConfigShape> = {}) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(PortfolioLive.layer, scope).pipe(
      Effect.provide(Layer.merge(Layer.succeedContext(ports.context), PortfolioConfig.layer(settings)))
    )
    return { service: Context.get(context, PortfolioService), stop: Scope.close(scope, Exit.void) }
  })

export const envelope = (type: IncomingEventType, payload: Record<string, unknown>) => encodeIncoming(type, payload)

export const published = (ports: Ports, type: string) =>
  Effect.map(ports.inspector.published(type), (entries) => entries.map((e) => JSON.parse(e.fields["payload"]!)))

/** Lets the service's fibers run until `check` holds (bounded): the one polling helper. */
export const eventually = <A, E>(check: Effect.Effect<A, E>, until: (a: A) => boolean) => Testing.eventually(check, until)
