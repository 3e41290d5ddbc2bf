/**
 * Migration 0001, PostgreSQL form of the SQLite adapter's `0001_initial`: processed events,
 * open trades, closes, fills, net positions, equity samples and equity extremes — each table
 * with an `account_id` first in its key and in every index, text keys in the `"C"` collation
 * (byte order, as SQLite's, whatever the database's locale).
 *
 * `equity_samples` is appended in time order, so its heap is time-ordered: a BRIN index on `at`
 * (a few pages for millions of rows) serves time ranges. When the `timescaledb` extension is
 * available (and can be created), the table becomes a hypertable instead (chunks of 7 days of
 * `at`; Timescale wants `at` in the key, so the key becomes `(account_id, seq, at)` and the BRIN
 * index, redundant with the chunks' own, is dropped). Any failure there leaves the plain table:
 * Timescale is used when present, never required.
 *
 * The extremes row of an account is created by the store when it starts with that account.
 * Append-only: once released, a migration is never edited; changes go in a new one.
 *
 * @since 0.1.0
 */
import { type Kysely, sql } from "kysely"

/** Creates the tables and indexes; makes `equity_samples` a hypertable when Timescale is there. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table processed_events (
      account_id text collate "C" not null,
      event_key text collate "C" not null,
      event_type text not null,
      at bigint not null,
      primary key (account_id, event_key)
    )`.execute(db)

  await sql`
    create table open_trades (
      account_id text collate "C" not null,
      trade_id text collate "C" not null,
      symbol text collate "C" not null,
      side text not null check (side in ('LONG', 'SHORT')),
      entry_price double precision not null,
      size double precision not null,
      original_size double precision not null,
      leverage double precision not null,
      category text,
      opened_at bigint not null,
      realized_pnl double precision not null,
      fees double precision not null,
      updated_at bigint not null,
      primary key (account_id, trade_id)
    )`.execute(db)

  await sql`
    create table closed_trades (
      account_id text collate "C" not null,
      close_id text collate "C" not null,
      trade_id text collate "C" not null,
      symbol text collate "C" not null,
      side text not null check (side in ('LONG', 'SHORT')),
      entry_price double precision,
      exit_price double precision not null,
      quantity double precision not null,
      realized_pnl double precision not null,
      fees double precision not null,
      opened_at bigint,
      closed_at bigint not null,
      remaining_size double precision not null,
      orphan boolean not null,
      over_close boolean not null,
      primary key (account_id, close_id)
    )`.execute(db)
  await sql`create index closed_trades_by_closed_at on closed_trades (account_id, closed_at, close_id)`.execute(db)

  await sql`
    create table fills (
      account_id text collate "C" not null,
      fill_key text collate "C" not null,
      order_id text not null,
      fill_id text,
      symbol text collate "C" not null,
      side text not null check (side in ('BUY', 'SELL')),
      position_side text not null check (position_side in ('LONG', 'SHORT')),
      quantity double precision not null,
      price double precision not null,
      fee double precision not null,
      realized_pnl double precision not null,
      executed_at bigint not null,
      primary key (account_id, fill_key)
    )`.execute(db)
  await sql`create index fills_by_executed_at on fills (account_id, executed_at, fill_key)`.execute(db)

  await sql`
    create table net_positions (
      account_id text collate "C" not null,
      symbol text collate "C" not null,
      side text collate "C" not null check (side in ('LONG', 'SHORT')),
      size double precision not null,
      entry_price double precision not null,
      leverage double precision not null,
      opened_at bigint not null,
      realized_pnl double precision not null,
      fees double precision not null,
      updated_at bigint not null,
      primary key (account_id, symbol, side)
    )`.execute(db)

  await sql`
    create table equity_samples (
      account_id text collate "C" not null,
      seq bigint not null,
      at bigint not null,
      equity double precision not null,
      cash double precision not null,
      unrealized_pnl double precision not null,
      constraint equity_samples_pkey primary key (account_id, seq)
    )`.execute(db)
  await sql`create index equity_samples_by_at on equity_samples using brin (at)`.execute(db)

  await sql`
    create table equity_extremes (
      account_id text collate "C" not null primary key,
      sample_count bigint not null,
      latest_at bigint,
      peak_at bigint,
      peak_equity double precision,
      peak_cash double precision,
      peak_unrealized_pnl double precision,
      trough_at bigint,
      trough_equity double precision,
      trough_cash double precision,
      trough_unrealized_pnl double precision,
      max_drawdown_pct double precision not null
    )`.execute(db)

  // TimescaleDB when it is there. The inner block is a savepoint: any failure (the extension
  // not preloaded, no right to create it, an old version) undoes only what it did.
  await sql`
    do $$
    declare
      ts_schema name;
    begin
      if exists (select 1 from pg_available_extensions where name = 'timescaledb') then
        begin
          create extension if not exists timescaledb;
          select extnamespace::regnamespace::name into ts_schema from pg_extension where extname = 'timescaledb';
          alter table equity_samples drop constraint equity_samples_pkey;
          alter table equity_samples add constraint equity_samples_pkey primary key (account_id, seq, at);
          drop index equity_samples_by_at;
          execute format(
            'select %I.create_hypertable(%L::regclass, %L::name, chunk_time_interval => %s::bigint)',
            ts_schema, 'equity_samples', 'at', 604800000
          );
        exception when others then
          raise notice 'timescaledb is available but equity_samples stays a plain table: %', sqlerrm;
        end;
      end if;
    end
    $$`.execute(db)
}
