/**
 * `@portfolio/adapters-redis`: the `EventBus` port on Redis Streams, wire-compatible with the
 * trading system's Python services, delivering every subscribed type in one order.
 *
 * @since 0.1.0
 */
export * as RedisEventBus from "./RedisEventBus.js"
export * as RedisOptions from "./RedisOptions.js"
export * as StreamOrder from "./StreamOrder.js"
