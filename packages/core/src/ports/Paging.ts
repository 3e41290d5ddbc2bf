/**
 * Streaming reads for the stores' exports: a range read page by page, each page starting
 * after the last row of the previous one (keyset pagination on the read's order, never an
 * `OFFSET`), so a million rows stream in constant memory and each page is one index seek. The
 * stores implement `readPage`; this turns it into an Effect `Stream`.
 *
 * @example
 * const closes = Paging.keyset(
 *   (after, size) => readCloses({ after, size }), // rows ordered by (closed_at, close_id) after `after`
 *   (c) => [c.closed_at, c.close_id] as const
 * )
 *
 * @since 0.3.0
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { StoreError } from "./TradeStore.js"

/** Rows per page of a streaming read, unless a store chooses otherwise. */
export const DEFAULT_PAGE_SIZE = 2_000

/**
 * The rows of a read as a stream of pages: `readPage(undefined, size)` reads the first page,
 * `readPage(key, size)` the rows strictly after `key` in the read's order; a page shorter
 * than `size` is the last. `limit`, when given, stops after that many rows.
 */
export const keyset = <A, K>(
  readPage: (after: K | undefined, size: number) => Effect.Effect<ReadonlyArray<A>, StoreError>,
  keyOf: (row: A) => K,
  options: { readonly pageSize?: number | undefined; readonly limit?: number | undefined } = {}
): Stream.Stream<A, StoreError> => {
  const size = options.pageSize ?? DEFAULT_PAGE_SIZE
  const stream = Stream.paginateChunkEffect(undefined as K | undefined, (after) =>
    Effect.map(readPage(after, size), (page) =>
      [
        Chunk.unsafeFromArray(page as Array<A>),
        page.length < size ? Option.none<K | undefined>() : Option.some<K | undefined>(keyOf(page[page.length - 1]!))
      ] as const
    ))
  return options.limit === undefined ? stream : Stream.take(stream, options.limit)
}
