/**
 * Equity samples read packed: the server sends a page of up to {@link PAGE_ROWS} samples as one
 * `bytea` of big-endian float8s (`at`, `equity`, `cash`, `unrealized_pnl`: 32 bytes a sample,
 * built by `float8send` and `string_agg`), and the client reads them with `readDoubleBE`. `pg`
 * decodes a result row by row in JavaScript (a string per field, then a number from it): for
 * the tens of thousands of rows of a 7-day range that was most of the read's time, where one
 * hex string per page is decoded natively (`Buffer.from(…, "hex")`). Every value comes back bit
 * for bit (−0 included); `at` (integer milliseconds, below 2^53) is exact as a float8.
 *
 * **As stored, first.** The samples of an account are appended in time order, so the heap
 * usually holds them in `(at, seq)` order, and a scan of the time range (the BRIN index, a
 * bitmap heap scan: pages in order) meets them in that order. {@link asStoredSql} packs the
 * range's rows as the scan meets them, with their `seq`, without sorting them (the sort was half
 * of the server's time, and spilled to disk at the default `work_mem`); {@link unpackIfOrdered}
 * accepts them only when every `(at, seq)` is greater than the one before and the page was not
 * full (so no row of the range was left out). Otherwise — rows placed out of order, a parallel
 * scan, a range longer than a page — the range is read sorted, page by page, as below.
 *
 * Pages keep each value far below the limits of a `bytea` (1 GB) and of a JavaScript string
 * whatever the range's length. The first page is the range's first rows in `(at, seq)` order
 * (a time-range scan); the next ones continue after the last page's greatest `seq` along the
 * primary key — an account's samples are appended in time order (`append` refuses an older
 * one), so `seq` order is `(at, seq)` order.
 *
 * @internal
 */
import type { EquitySample } from "@portfolio/core"

/** Samples per packed page (8 MiB of `bytea`, 16 MiB of hex text; 10 MiB with `seq`). */
export const PAGE_ROWS = 262_144

const BYTES_PER_SAMPLE = 32

/**
 * The packed read of the rows `inner` selects: `inner` must select `seq`, `at`, `equity`,
 * `cash` and `unrealized_pnl` of one account, sorted in `(at, seq)` order (`order by at, seq`,
 * or `order by seq` after a page) **and limited** (`limit n`, n ≤ {@link PAGE_ROWS}). One row:
 * the samples in that order (`null` when none), the greatest `seq` and the count.
 *
 * The aggregate takes its input's order (PostgreSQL: "supplying the input values from a
 * sorted subquery will usually work"): the `limit` keeps the sorted rows in one process — a
 * limit is applied above any parallel gather — so the aggregate reads them as sorted. An
 * `order by` inside `string_agg` would sort them a second time: a third of the server's time.
 * {@link unpackInto} checks the order of `at` as it reads.
 */
export const packedSql = (inner: string): string =>
  `select string_agg(float8send(at::float8) || float8send(equity) || float8send(cash) || float8send(unrealized_pnl), ''::bytea),
          max(seq), count(*)
   from (${inner}) s`

/**
 * The packed read of the rows `inner` selects, as the scan meets them: `inner` selects `seq`,
 * `at`, `equity`, `cash` and `unrealized_pnl` of one account, **unsorted**, limited to at most
 * {@link PAGE_ROWS}. One row: `seq` and the sample of each row (40 bytes), `null` when none,
 * and the count. Read it with {@link unpackIfOrdered}.
 */
export const asStoredSql = (inner: string): string =>
  `select string_agg(float8send(seq::float8) || float8send(at::float8) || float8send(equity) || float8send(cash) || float8send(unrealized_pnl), ''::bytea),
          count(*)
   from (${inner}) s`

/**
 * The samples of an {@link asStoredSql} page when they are the whole range in `(at, seq)`
 * order: `count` below `limit` (the page was not full) and each `(at, seq)` greater than the
 * one before; `undefined` otherwise (read the range sorted instead).
 */
export const unpackIfOrdered = (page: Buffer | null, count: number, limit: number): Array<EquitySample> | undefined => {
  if (count >= limit) return undefined
  const samples: Array<EquitySample> = []
  if (page === null) return samples
  let previousAt = -Infinity
  let previousSeq = -Infinity
  for (let offset = 0; offset < page.length; offset += BYTES_PER_SAMPLE + 8) {
    const seq = page.readDoubleBE(offset)
    const at = page.readDoubleBE(offset + 8)
    if (at < previousAt || (at === previousAt && seq <= previousSeq)) return undefined
    previousAt = at
    previousSeq = seq
    samples.push({
      at,
      equity: page.readDoubleBE(offset + 16),
      cash: page.readDoubleBE(offset + 24),
      unrealized_pnl: page.readDoubleBE(offset + 32)
    })
  }
  return samples
}

/**
 * Appends the samples of a packed page to `samples`; throws when their times go backwards
 * (the page was not read in order), which {@link packedSql}'s contract rules out.
 */
export const unpackInto = (samples: Array<EquitySample>, page: Buffer | null): void => {
  if (page === null) return
  let previous = samples.length === 0 ? -Infinity : samples[samples.length - 1]!.at
  for (let offset = 0; offset < page.length; offset += BYTES_PER_SAMPLE) {
    const at = page.readDoubleBE(offset)
    if (at < previous) throw new Error(`packed equity samples out of order (${at} after ${previous})`)
    previous = at
    samples.push({
      at,
      equity: page.readDoubleBE(offset + 8),
      cash: page.readDoubleBE(offset + 16),
      unrealized_pnl: page.readDoubleBE(offset + 24)
    })
  }
}
