/**
 * Test helpers of `@portfolio/adapters-redis`: a real `redis-server` to start, kill and
 * restart, and a small consumer loop over the `EventBus`. For tests and benchmarks only.
 *
 * @since 0.1.0
 */
export * as RedisServer from "./RedisServer.js"
export * as ConsumerLoop from "./ConsumerLoop.js"
