/**
 * The live streams' history read straight from Redis for `portfolio backtest --redis URL`:
 * `XRANGE` over each event type's stream (`<prefix><event_type>`), 1 000 entries a page, the
 * streams merged by entry id as the live consumer merges them (`EventSource.merge`). Read-only:
 * no consumer group is created, nothing is acknowledged or trimmed; memory holds one page per
 * stream.
 *
 * @since 0.1.0
 */
import { incomingEventTypes } from "@portfolio/core"
import { Redis } from "ioredis"
import * as EventSource from "./EventSource.js"

/** Where to read. */
export interface Options {
  readonly url: string
  /** Stream-name prefix (default `quantum:stream:`, as `PORTFOLIO_STREAM_PREFIX`). */
  readonly streamPrefix?: string
  /** Entries per `XRANGE` call (default 1 000). */
  readonly pageSize?: number
}

/** The URL with any password replaced by `***`, for messages. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]*):([^@/]*)@/, "//$1:***@")

type Page = Array<[id: string, fields: Array<string>]>

/** The entries of one stream, oldest first, page by page. */
async function* stream(redis: Redis, key: string, pageSize: number): AsyncGenerator<EventSource.Record_> {
  let start = "-"
  let n = 0
  for (;;) {
    const page = (await redis.xrange(key, start, "+", "COUNT", pageSize)) as Page
    for (const [id, flat] of page) {
      n++
      const envelope: Record<string, unknown> = {}
      for (let i = 0; i + 1 < flat.length; i += 2) envelope[flat[i]!] = flat[i + 1]
      yield { _tag: "Entry", source: key, line: n, envelope, id }
    }
    if (page.length < pageSize) return
    start = `(${page[page.length - 1]![0]}`
  }
}

/**
 * Connects and answers the merged history of every incoming stream (in batches, as
 * `EventSource.open` answers a file's), and a `close` to call when done. Fails when Redis cannot
 * be reached (one attempt, no endless reconnection).
 */
export const open = async (options: Options): Promise<{ readonly records: AsyncGenerator<EventSource.Batch>; readonly close: () => Promise<void> }> => {
  const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false })
  redis.on("error", () => {}) // reported by the failing command instead
  try {
    await redis.connect()
  } catch (error) {
    redis.disconnect()
    throw new EventSource.SourceError({ source: redactUrl(options.url), reason: `cannot connect to Redis: ${error instanceof Error ? error.message : String(error)}` })
  }
  const prefix = options.streamPrefix ?? "quantum:stream:"
  const pageSize = options.pageSize ?? 1_000
  const records = EventSource.batched(EventSource.merge(incomingEventTypes.map((type) => stream(redis, `${prefix}${type}`, pageSize))))
  return {
    records,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}
