/**
 * `@portfolio/adapters-binance`: the `AccountBalance` and `PriceFeed` ports on Binance USDⓈ-M
 * futures (signed REST for wallet balance and positions, the combined mark-price WebSocket
 * stream for prices), the REST client they share, their configuration and their typed errors. The fake exchange for tests
 * is at `@portfolio/adapters-binance/testing`.
 *
 * @since 0.1.0
 */
export * as BinanceAccountBalance from "./BinanceAccountBalance.js"
export * as BinanceConfig from "./BinanceConfig.js"
export * as BinanceError from "./BinanceError.js"
export * as BinancePriceFeed from "./BinancePriceFeed.js"
export * as BinanceRestClient from "./BinanceRestClient.js"
