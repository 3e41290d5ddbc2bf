import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Kysely, SqliteDialect, sql } from "kysely"
import * as SyncQuery from "../src/internal/SyncQuery.js"

/** An in-memory database whose `prepare` calls are counted by SQL text. */
const countingDatabase = () => {
  const sqlite = new BetterSqlite3(":memory:")
  const prepared = new Map<string, number>()
  const real = sqlite.prepare.bind(sqlite)
  sqlite.prepare = ((text: string) => {
    prepared.set(text, (prepared.get(text) ?? 0) + 1)
    return real(text)
  }) as typeof sqlite.prepare
  sqlite.exec("create table t (k text primary key, v integer not null, w text)")
  const kysely = new Kysely<{ t: { k: string; v: number; w: string | null } }>({ dialect: new SqliteDialect({ database: sqlite }) })
  return { sqlite, kysely, prepared }
}

describe("SyncQuery", () => {
  it("keeps a statement in steady use prepared while many one-off shapes pass through (LRU)", () => {
    const { kysely, prepared, sqlite } = countingDatabase()
    const query = SyncQuery.make(sqlite)
    const hot = () => kysely.selectFrom("t").select("k").where("k", "=", "x")
    const hotSql = hot().compile().sql
    for (let i = 0; i < 2_000; i++) {
      query.all(kysely.selectNoFrom(sql.lit(i).as("n")))
      if (i % 100 === 0) expect(query.all(hot())).toEqual([])
    }
    expect(prepared.get(hotSql)).toBe(1)
    // A one-off shape that fell out is prepared again when it comes back.
    query.all(kysely.selectNoFrom(sql.lit(0).as("n")))
    expect(prepared.get(kysely.selectNoFrom(sql.lit(0).as("n")).compile().sql)).toBe(2)
    sqlite.close()
  })

  it("prepare compiles once; each run binds the named values, constants stay as kysely bound them", () => {
    const { kysely, prepared, sqlite } = countingDatabase()
    const query = SyncQuery.make(sqlite)
    const insert = query.prepare(SyncQuery.placeholders<{ k: string; v: number; w: string | null }>({ k: true, v: true, w: true }), (p) =>
      kysely.insertInto("t").values({ w: p.w, v: p.v, k: p.k }))
    const byValue = query.prepare(SyncQuery.placeholders<{ min: number }>({ min: true }), (p) =>
      kysely.selectFrom("t").selectAll().where("v", ">=", p.min).orderBy("k").limit(2))
    const before = prepared.size
    expect(insert.run({ k: "a", v: 1, w: null })).toBe(1)
    expect(insert.run({ k: "b", v: 2, w: "x" })).toBe(1)
    expect(insert.run({ k: "c", v: 3, w: "y" })).toBe(1)
    expect(byValue.all({ min: 2 })).toEqual([{ k: "b", v: 2, w: "x" }, { k: "c", v: 3, w: "y" }])
    expect(byValue.all({ min: 1 })).toHaveLength(2) // the limit, a constant, still applies
    expect(byValue.first({ min: 3 })).toEqual({ k: "c", v: 3, w: "y" })
    expect(prepared.size).toBe(before)
    const positional = query.prepare([SyncQuery.param<string>(0), SyncQuery.param<string>(1)], (p) =>
      kysely.selectFrom("t").select("k").where("k", "in", p).orderBy("k"))
    expect(positional.all(["c", "a"])).toEqual([{ k: "a" }, { k: "c" }])
    sqlite.close()
  })
})
