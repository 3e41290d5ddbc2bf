/**
 * The store's migrations never look outside their schema: a schema dropped by another session
 * while a store starts (another account's, another test's) cannot fail its start, as kysely's
 * own introspection of every schema did ("schema … does not exist").
 */
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import pg from "pg"
import { PostgresStore } from "../src/index.js"
import { admin, describePostgres, testUrl, url, useSchemas } from "./fixtures/Postgres.js"

describePostgres("ScopedDialect", () => {
  const { freshSchema } = useSchemas("scoped")

  it.live("stores start while other sessions create and drop schemas full of tables", () =>
    Effect.gen(function*() {
      // Another session: schemas with tables created and dropped as fast as it can.
      let churning = true
      const churn = (async () => {
        const client = new pg.Client({ connectionString: testUrl })
        client.on("error", () => {})
        await client.connect()
        let n = 0
        try {
          while (churning) {
            const name = `${freshSchema()}_churn${n++}`
            await client.query(`create schema "${name}"; create table "${name}".t (id serial primary key, v text); create table "${name}".u (id int)`)
            await client.query(`drop schema "${name}" cascade`)
          }
        } finally {
          await client.end().catch(() => undefined)
        }
        return n
      })()
      const started: Array<string> = []
      for (let i = 0; i < 12; i++) {
        const schema = freshSchema()
        yield* Effect.scoped(Layer.build(PostgresStore.layer({ url, schema })))
        started.push(schema)
      }
      churning = false
      const churned = yield* Effect.promise(() => churn)
      expect(started.length).toBe(12)
      expect(churned).toBeGreaterThan(0)
      const migrated = yield* Effect.promise(() =>
        admin<{ n: string }>("select count(*) as n from pg_catalog.pg_tables where schemaname = any($1) and tablename = 'kysely_migration'", [started])
      )
      expect(Number(migrated.rows[0]!.n)).toBe(12)
    }), 60_000)
})
