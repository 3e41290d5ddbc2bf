/**
 * The one order in which the service applies the entries of several streams (DESIGN.md §5),
 * as pure functions for anyone who merges recorded streams the same way (the `portfolio
 * backtest` command merging `XRANGE` dumps): by entry id milliseconds, then by event type
 * (`trade.opened` < `order.executed` < `trade.closed` < `market.tick` < anything else, e.g.
 * `ess.tripped`), then by sequence. The live consumer's k-way merge uses these same functions.
 *
 * @example
 * import { StreamOrder } from "@portfolio/adapters-redis"
 * const a = StreamOrder.parseId("1700000000000-3"), b = StreamOrder.parseId("1700000000000-0")
 * StreamOrder.compareKeys(a, StreamOrder.typeRank("trade.opened"), "trade.opened", b, StreamOrder.typeRank("trade.closed"), "trade.closed") < 0 // the open first
 *
 * @since 0.2.0
 */
export { compareKeys, parseId, typeRank } from "./internal/merge.js"
