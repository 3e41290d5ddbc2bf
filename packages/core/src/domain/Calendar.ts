/**
 * Calendar windows in an IANA time zone: the day, the week (from Monday) and the month an
 * instant falls in. Pure: time is an input, the zone's rules come from `Intl`.
 *
 * Keys are integers so they are cheap to compare and to use as map keys:
 * - day key: days since 1970-01-01 of the local date;
 * - week key: the day key of that week's Monday;
 * - month key: `year × 12 + (month − 1)` of the local date.
 *
 * @since 0.1.0
 */

const DAY_MS = 86_400_000
const OFFSET_BUCKET_MS = 15 * 60_000

/** A time zone's calendar. Make one with {@link make}; it caches the zone's offsets. */
export interface Calendar {
  readonly timeZone: string
  /** Local offset from UTC in ms at `ms`. */
  readonly offsetAt: (ms: number) => number
}

/** The time zone name is not one the runtime knows. */
export class InvalidTimeZoneError extends Error {
  readonly _tag = "InvalidTimeZoneError"
  constructor(readonly timeZone: string) {
    super(`unknown IANA time zone ${JSON.stringify(timeZone)} (examples: UTC, Europe/Oslo, America/New_York)`)
  }
}

/** Whether `timeZone` is a time zone name the runtime knows. */
export const isValidTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone })
    return true
  } catch {
    return false
  }
}

/**
 * The calendar of an IANA time zone (`UTC`, `Europe/Oslo`, …).
 * Throws {@link InvalidTimeZoneError} for an unknown name.
 */
export const make = (timeZone = "UTC"): Calendar => {
  if (!isValidTimeZone(timeZone)) throw new InvalidTimeZoneError(timeZone)
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return { timeZone, offsetAt: () => 0 }
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric"
  })
  // Offsets change at most every 15 minutes of UTC time: remember the last bucket's offset.
  let cachedBucket = Number.NaN
  let cachedOffset = 0
  const compute = (ms: number): number => {
    const parts = format.formatToParts(new Date(ms))
    const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value)
    const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"))
    return local - (ms - (ms % 1000 + 1000) % 1000)
  }
  return {
    timeZone,
    offsetAt: (ms) => {
      const bucket = Math.floor(ms / OFFSET_BUCKET_MS)
      if (bucket !== cachedBucket) {
        cachedOffset = compute(bucket * OFFSET_BUCKET_MS)
        cachedBucket = bucket
      }
      return cachedOffset
    }
  }
}

/** The local day of `ms` as days since 1970-01-01. */
export const dayKey = (calendar: Calendar, ms: number): number => Math.floor((ms + calendar.offsetAt(ms)) / DAY_MS)

/** The day key of the Monday that starts the local week of `ms`. */
export const weekKey = (calendar: Calendar, ms: number): number => {
  const day = dayKey(calendar, ms)
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return day - (((day + 3) % 7) + 7) % 7
}

/** The local month of `ms` as `year × 12 + month index`. */
export const monthKey = (calendar: Calendar, ms: number): number => {
  const date = new Date(dayKey(calendar, ms) * DAY_MS)
  return date.getUTCFullYear() * 12 + date.getUTCMonth()
}

/** The local date of a day key, `YYYY-MM-DD`. */
export const formatDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

/** Milliseconds in a day. */
export const DAY = DAY_MS
