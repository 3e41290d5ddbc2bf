/**
 * The mark-to-market equity curve (the history's samples) resampled: daily closes in a time
 * zone, and open/high/low/close buckets for charts.
 *
 * - The **close of a local day** is the equity of the last sample before the next local
 *   midnight; a day without a sample keeps the previous day's close (forward fill), so every
 *   calendar day from the first sample's to the last's has a close — crypto trades every day.
 * - **Daily returns** run from the first sample (the opening equity) through each day's close:
 *   `[e₀, c₁, c₂, …]` → `cᵢ / cᵢ₋₁ − 1`.
 * - **Buckets** are aligned to multiples of the bucket size since the epoch (UTC), so the same
 *   sample always falls in the same bucket and a stored rollup of fine buckets merges exactly
 *   into coarser ones: `open` the first sample's equity, `close` the last's, `high`/`low` the
 *   extremes, `count` the samples.
 *
 * @since 0.3.0
 */
import * as Analytics from "./Analytics.js"
import * as Calendar from "./Calendar.js"

/** A point of the curve: the parts of an `EquitySample` the resampling reads. */
export interface Point {
  readonly at: number
  readonly equity: number
}

/** The close of one local day. */
export interface DailyClose {
  /** The local day (days since 1970-01-01, `Calendar.dayKey`). */
  readonly day: number
  readonly equity: number
}

/** One open/high/low/close bucket of the curve. */
export interface Bucket {
  /** Start of the bucket (epoch ms, a multiple of the bucket size). */
  readonly start: number
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  /** Number of samples in it. */
  readonly count: number
}

/** The bucket size of the stored rollup: 15 minutes, so every zone's midnight is a boundary. */
export const ROLLUP_MS = 15 * 60_000

/** The most buckets an answer holds. */
export const MAX_BUCKETS = 2_000

/**
 * The instant local day `day` starts in `calendar` (its first millisecond): local midnight,
 * or the first instant after it when a clock change skips midnight.
 */
export const dayStart = (calendar: Calendar.Calendar, day: number): number => {
  const local = day * Calendar.DAY
  let t = local - calendar.offsetAt(local - calendar.offsetAt(local))
  // Offsets move in steps of 15 minutes: walk to the first instant of the day.
  while (Calendar.dayKey(calendar, t) < day) t += ROLLUP_MS
  while (Calendar.dayKey(calendar, t - ROLLUP_MS) === day) t -= ROLLUP_MS
  return t
}

/**
 * The instants where the local days `fromDay` … `toDay` end (the starts of the next days): the
 * boundaries whose "last sample before" is each day's close.
 */
export const dayEnds = (calendar: Calendar.Calendar, fromDay: number, toDay: number): Array<number> => {
  const out: Array<number> = []
  for (let d = fromDay; d <= toDay; d++) out.push(dayStart(calendar, d + 1))
  return out
}

/**
 * The daily closes of time-ordered samples in a zone, one per local day from the first
 * sample's day to the last's, forward-filled.
 */
export const dailyCloses = (samples: ReadonlyArray<Point>, calendar: Calendar.Calendar): Array<DailyClose> => {
  const out: Array<DailyClose> = []
  let day = Number.NaN
  let close = 0
  for (const s of samples) {
    const d = Calendar.dayKey(calendar, s.at)
    if (d !== day) {
      if (!Number.isNaN(day)) {
        for (let k = day; k < d; k++) out.push({ day: k, equity: close })
      }
      day = d
    }
    close = s.equity
  }
  if (!Number.isNaN(day)) out.push({ day, equity: close })
  return out
}

/**
 * Daily closes from the answers of a "last sample before each boundary" query over
 * {@link dayEnds}`(fromDay, …)`: day `fromDay + i` closes at `lastBefore[i]`; days before the
 * first sample have none and are left out.
 */
export const closesFromLastBefore = (
  fromDay: number,
  lastBefore: ReadonlyArray<Point | null>
): Array<DailyClose> => {
  const out: Array<DailyClose> = []
  lastBefore.forEach((p, i) => {
    if (p !== null) out.push({ day: fromDay + i, equity: p.equity })
  })
  return out
}

/** Daily returns from the opening equity through each daily close (see the module's rule). */
export const dailyReturns = (opening: number, closes: ReadonlyArray<DailyClose>): Array<Analytics.Return> =>
  Analytics.simpleReturns([opening, ...closes.map((c) => c.equity)])

/** Adds a sample to a bucket (or starts one): the rule a rollup applies on every append. */
export const mergeSample = (bucket: Bucket | undefined, start: number, equity: number): Bucket =>
  bucket === undefined
    ? { start, open: equity, high: equity, low: equity, close: equity, count: 1 }
    : {
      start: bucket.start,
      open: bucket.open,
      high: equity > bucket.high ? equity : bucket.high,
      low: equity < bucket.low ? equity : bucket.low,
      close: equity,
      count: bucket.count + 1
    }

/** Merges a later bucket into an earlier one (both already in time order). */
export const mergeBuckets = (earlier: Bucket, later: Bucket, start = earlier.start): Bucket => ({
  start,
  open: earlier.open,
  high: Math.max(earlier.high, later.high),
  low: Math.min(earlier.low, later.low),
  close: later.close,
  count: earlier.count + later.count
})

/** The start of the bucket of size `bucketMs` that `at` falls in. */
export const bucketStart = (at: number, bucketMs: number): number => Math.floor(at / bucketMs) * bucketMs

/** Time-ordered samples in buckets of `bucketMs`, oldest first; empty buckets are left out. */
export const bucketize = (samples: Iterable<Point>, bucketMs: number): Array<Bucket> => {
  const out: Array<Bucket> = []
  let current: Bucket | undefined
  for (const s of samples) {
    const start = bucketStart(s.at, bucketMs)
    if (current !== undefined && current.start !== start) {
      out.push(current)
      current = undefined
    }
    current = mergeSample(current, start, s.equity)
  }
  if (current !== undefined) out.push(current)
  return out
}

/** Time-ordered fine buckets merged into buckets of `bucketMs` (a multiple of theirs). */
export const coarsen = (buckets: Iterable<Bucket>, bucketMs: number): Array<Bucket> => {
  const out: Array<Bucket> = []
  let current: Bucket | undefined
  for (const b of buckets) {
    const start = bucketStart(b.start, bucketMs)
    if (current !== undefined && current.start === start) current = mergeBuckets(current, b, start)
    else {
      if (current !== undefined) out.push(current)
      current = { ...b, start }
    }
  }
  if (current !== undefined) out.push(current)
  return out
}

/** Bucket sizes a chart reads well, smallest first; past a day, whole days. */
const NICE_SIZES = [10_000, 60_000, 300_000, ROLLUP_MS, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 21_600_000, 43_200_000, Calendar.DAY]

/** Number of epoch-aligned buckets of `bucketMs` that `[from, to)` touches. */
export const bucketCount = (from: number, to: number, bucketMs: number): number =>
  to <= from ? 0 : bucketStart(to - 1, bucketMs) / bucketMs - bucketStart(from, bucketMs) / bucketMs + 1

/**
 * The bucket size for `[from, to)`: the smallest size, at least `requestedMs` when given, that
 * is a "nice" size (10 s, 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 6 h, 12 h, whole days)
 * and keeps the range within `maxBuckets` buckets.
 */
export const bucketSizeFor = (from: number, to: number, requestedMs = 0, maxBuckets = MAX_BUCKETS): number => {
  for (const size of NICE_SIZES) {
    if (size >= requestedMs && bucketCount(from, to, size) <= maxBuckets) return size
  }
  let days = Math.max(1, Math.ceil(requestedMs / Calendar.DAY))
  while (bucketCount(from, to, days * Calendar.DAY) > maxBuckets) days = Math.max(days + 1, Math.ceil((to - from) / Calendar.DAY / maxBuckets))
  return days * Calendar.DAY
}
