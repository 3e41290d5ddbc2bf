/**
 * In-memory implementations of every port: the embedded default (in-process bus, paper cash)
 * and the fixtures of core tests.
 *
 * @since 0.1.0
 */
export * as MemoryTradeStore from "./MemoryTradeStore.js"
export * as MemoryEquityHistory from "./MemoryEquityHistory.js"
export * as MemoryEventBus from "./MemoryEventBus.js"
export * as MemoryPriceFeed from "./MemoryPriceFeed.js"
export * as PaperBalance from "./PaperBalance.js"
