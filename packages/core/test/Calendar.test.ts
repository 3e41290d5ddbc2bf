import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Calendar from "../src/domain/Calendar.js"
import { ms } from "./arbitraries.js"

const day = (cal: Calendar.Calendar, iso: string) => Calendar.formatDay(Calendar.dayKey(cal, ms(iso)))
const week = (cal: Calendar.Calendar, iso: string) => Calendar.formatDay(Calendar.weekKey(cal, ms(iso)))
const month = (cal: Calendar.Calendar, iso: string) => {
  const key = Calendar.monthKey(cal, ms(iso))
  return `${Math.floor(key / 12)}-${String((key % 12) + 1).padStart(2, "0")}`
}

/** The zone's offset in ms at `at`, read independently of Calendar from Intl's `longOffset` name. */
const referenceOffset = (timeZone: string, at: number): number => {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(new Date(at))
    .find((p) => p.type === "timeZoneName")!.value
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name)
  if (m === null) throw new Error(`unexpected offset name ${name}`)
  if (m[1] === undefined) return 0
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000
}

describe("Calendar", () => {
  const utc = Calendar.make("UTC")
  const newYork = Calendar.make("America/New_York")
  const kolkata = Calendar.make("Asia/Kolkata")

  it("numbers days from 1970-01-01 and formats them back", () => {
    expect(Calendar.dayKey(utc, 0)).toBe(0)
    expect(Calendar.dayKey(utc, Calendar.DAY - 1)).toBe(0)
    expect(Calendar.dayKey(utc, -1)).toBe(-1)
    expect(Calendar.formatDay(Calendar.dayKey(utc, ms("2025-03-07T23:59:59.999")))).toBe("2025-03-07")
  })

  it("places instants around local midnight in Asia/Kolkata (UTC+05:30)", () => {
    expect(kolkata.offsetAt(ms("2025-01-01T00:00:00"))).toBe(5.5 * 3_600_000)
    // Local midnight of 2 January is 18:30 UTC on 1 January.
    expect(day(kolkata, "2025-01-01T18:29:59.999")).toBe("2025-01-01")
    expect(day(kolkata, "2025-01-01T18:30:00")).toBe("2025-01-02")
    expect(day(utc, "2025-01-01T18:30:00")).toBe("2025-01-01")
  })

  it("follows America/New_York across the spring-forward day (23 hours)", () => {
    // 2025-03-09 02:00 EST (UTC−5) jumps to 03:00 EDT (UTC−4) at 07:00 UTC.
    expect(newYork.offsetAt(ms("2025-03-09T06:59:59"))).toBe(-5 * 3_600_000)
    expect(newYork.offsetAt(ms("2025-03-09T07:00:00"))).toBe(-4 * 3_600_000)
    // The local day of 9 March runs from 05:00 UTC (EST midnight) to 04:00 UTC on 10 March.
    expect(day(newYork, "2025-03-09T04:59:59.999")).toBe("2025-03-08")
    expect(day(newYork, "2025-03-09T05:00:00")).toBe("2025-03-09")
    expect(day(newYork, "2025-03-10T03:59:59.999")).toBe("2025-03-09")
    expect(day(newYork, "2025-03-10T04:00:00")).toBe("2025-03-10")
  })

  it("follows America/New_York across the fall-back day (25 hours)", () => {
    // 2025-11-02 02:00 EDT falls back to 01:00 EST at 06:00 UTC.
    expect(newYork.offsetAt(ms("2025-11-02T05:59:59"))).toBe(-4 * 3_600_000)
    expect(newYork.offsetAt(ms("2025-11-02T06:00:00"))).toBe(-5 * 3_600_000)
    // 2 November runs from 04:00 UTC (EDT midnight) to 05:00 UTC on 3 November (EST midnight).
    expect(day(newYork, "2025-11-02T03:59:59.999")).toBe("2025-11-01")
    expect(day(newYork, "2025-11-02T04:00:00")).toBe("2025-11-02")
    expect(day(newYork, "2025-11-03T04:59:59.999")).toBe("2025-11-02")
    expect(day(newYork, "2025-11-03T05:00:00")).toBe("2025-11-03")
  })

  it("starts weeks on Monday, at the local midnight", () => {
    // 2025-03-09 is a Sunday, 2025-03-10 a Monday.
    expect(week(utc, "2025-03-09T23:59:59.999")).toBe("2025-03-03")
    expect(week(utc, "2025-03-10T00:00:00")).toBe("2025-03-10")
    // 03:59 UTC on Monday is still Sunday 23:59 in New York (EDT, UTC−4).
    expect(week(utc, "2025-03-10T03:59:00")).toBe("2025-03-10")
    expect(week(newYork, "2025-03-10T03:59:00")).toBe("2025-03-03")
    expect(week(newYork, "2025-03-10T04:00:00")).toBe("2025-03-10")
    // A week spanning a year boundary: Wednesday 2025-01-01 is in the week of Monday 2024-12-30.
    expect(week(utc, "2025-01-01T12:00:00")).toBe("2024-12-30")
    // Before 1970 (negative day keys): Wednesday 1969-12-31 is in the week of Monday 1969-12-29.
    expect(week(utc, "1969-12-31T12:00:00")).toBe("1969-12-29")
  })

  it("places month boundaries in the local zone", () => {
    // 03:30 UTC on 1 April is 23:30 on 31 March in New York.
    expect(month(utc, "2025-04-01T03:30:00")).toBe("2025-04")
    expect(month(newYork, "2025-04-01T03:30:00")).toBe("2025-03")
    // 18:30 UTC on 31 December 2024 is midnight of 1 January 2025 in Kolkata.
    expect(month(kolkata, "2024-12-31T18:29:59.999")).toBe("2024-12")
    expect(month(kolkata, "2024-12-31T18:30:00")).toBe("2025-01")
    expect(month(utc, "2024-12-31T18:30:00")).toBe("2024-12")
  })

  it("agrees with Intl's own offsets at any instant, in zones with DST, half and quarter hours", () => {
    const zones = ["America/New_York", "Asia/Kolkata", "Europe/Oslo", "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns"]
    const calendars = zones.map((z) => Calendar.make(z))
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: zones.length - 1 }),
        fc.array(fc.integer({ min: ms("2020-01-01T00:00:00"), max: ms("2030-01-01T00:00:00") }), { minLength: 1, maxLength: 20 }),
        (z, instants) => {
          // Several instants in a row also exercise the calendar's one-entry offset cache.
          for (const at of instants) expect(calendars[z]!.offsetAt(at)).toBe(referenceOffset(zones[z]!, at))
        }
      ),
      { numRuns: 200 }
    )
  })

  it("gives every day a Monday-started week that contains it", () => {
    fc.assert(
      fc.property(fc.integer({ min: ms("1960-01-01T00:00:00"), max: ms("2100-01-01T00:00:00") }), (at) => {
        const d = Calendar.dayKey(newYork, at)
        const w = Calendar.weekKey(newYork, at)
        expect(new Date(w * Calendar.DAY).getUTCDay()).toBe(1)
        expect(d - w).toBeGreaterThanOrEqual(0)
        expect(d - w).toBeLessThan(7)
      })
    )
  })

  it("rejects an unknown zone with an error naming it", () => {
    expect(Calendar.isValidTimeZone("Europe/Oslo")).toBe(true)
    expect(Calendar.isValidTimeZone("Mars/Olympus_Mons")).toBe(false)
    expect(() => Calendar.make("Mars/Olympus_Mons")).toThrow(Calendar.InvalidTimeZoneError)
    expect(() => Calendar.make("Mars/Olympus_Mons")).toThrow(/Mars\/Olympus_Mons/)
  })
})
