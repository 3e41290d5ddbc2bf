/**
 * Test helpers of `@portfolio/adapters-binance`: the fake exchange, for this package's tests
 * and for end-to-end tests of the service.
 *
 * @since 0.1.0
 */
export * as FakeBinance from "./FakeBinance.js"
