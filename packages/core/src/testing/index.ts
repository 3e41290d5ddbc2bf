/**
 * Test helpers shared by the adapter packages: contract suites that every implementation of a
 * port must pass, and the one polling helper (`eventually`). Import from `@portfolio/core/testing` in tests only (it imports vitest).
 *
 * @since 0.1.0
 */
export * from "./TradeStoreContract.js"
export * from "./EquityHistoryContract.js"
export * from "./EventBusContract.js"
export * from "./Eventually.js"
