/**
 * kysely's PostgreSQL dialect with an introspector that looks at one schema only. kysely's own
 * introspector (which its `Migrator` calls to see whether its tables exist) reads every table of
 * every schema and calls `pg_get_serial_sequence`/`has_schema_privilege` on their names: a schema
 * dropped by another session at that moment fails it ("schema … does not exist"), so an
 * instance could not start while another account's schema — or a test's — was being dropped.
 * The migrator only needs the names of the tables in its own schema.
 *
 * @internal
 */
import { type DatabaseIntrospector, type DatabaseMetadata, type Kysely, PostgresDialect, type PostgresDialectConfig, type SchemaMetadata, sql, type TableMetadata } from "kysely"

/** An introspector of the tables and views of `schema` alone (no columns). */
class ScopedIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>, private readonly schema: string) {}

  async getSchemas(): Promise<Array<SchemaMetadata>> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.db)
    return rows.map((r) => ({ name: r.name }))
  }

  async getTables(): Promise<Array<TableMetadata>> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.schema} and c.relkind in ('r', 'v', 'p')`.execute(this.db)
    return rows.map((r) => ({ name: r.name, schema: this.schema, isView: r.kind === "v", columns: [] }))
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}

/** {@link PostgresDialect} whose introspection (hence kysely's `Migrator`) sees `schema` only. */
export class ScopedDialect extends PostgresDialect {
  constructor(config: PostgresDialectConfig, private readonly schema: string) {
    super(config)
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new ScopedIntrospector(db, this.schema)
  }
}
