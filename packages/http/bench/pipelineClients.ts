/**
 * The bare clients of the pipeline benchmark's ceilings, loaded from the adapters that depend
 * on them (this package does not): ioredis from `@portfolio/adapters-redis`, better-sqlite3
 * from `@portfolio/adapters-sqlite`. Typed with only what the benchmark uses.
 */
import { createRequire } from "node:module"

/** An ioredis pipeline: queued commands, sent in one write. */
export interface RedisPipeline {
  call(command: string, ...args: ReadonlyArray<string | number>): RedisPipeline
  exec(): Promise<Array<[Error | null, unknown]> | null>
}

/** An ioredis connection. */
export interface RedisClient {
  call(command: string, ...args: ReadonlyArray<string | number>): Promise<unknown>
  pipeline(): RedisPipeline
  quit(): Promise<unknown>
  disconnect(): void
}

/** A better-sqlite3 database. */
export interface SqliteDatabase {
  pragma(source: string): unknown
  exec(source: string): unknown
  prepare(source: string): { run(...params: ReadonlyArray<unknown>): unknown }
  transaction<A extends ReadonlyArray<unknown>>(fn: (...args: A) => void): (...args: A) => void
  close(): void
}

const fromRedisAdapter = createRequire(new URL("../../adapters-redis/package.json", import.meta.url))
const fromSqliteAdapter = createRequire(new URL("../../adapters-sqlite/package.json", import.meta.url))

const IORedis = fromRedisAdapter("ioredis") as { Redis: new (options: { host: string; port: number; lazyConnect?: boolean }) => RedisClient }
const BetterSqlite3 = fromSqliteAdapter("better-sqlite3") as new (path: string) => SqliteDatabase

/** A connection to `127.0.0.1:port`. */
export const redis = (port: number): RedisClient => new IORedis.Redis({ host: "127.0.0.1", port })

/** A database file, WAL, `synchronous` as the service's default (FULL). */
export const sqlite = (path: string, synchronous: "FULL" | "NORMAL" = "FULL"): SqliteDatabase => {
  const db = new BetterSqlite3(path)
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous}`)
  return db
}
