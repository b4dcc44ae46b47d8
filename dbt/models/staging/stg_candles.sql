{{ config(
    materialized='incremental',
    unique_key=['source_file'],
    on_schema_change='fail',
    post_hook="delete from {{ this }} where source_file not in (select filename from read_blob('" ~ landed_candles_glob() ~ "'))"
) }}
-- Typed, deduplicated candles with unified BASE/QUOTE symbols; nothing else.
-- Materialised (incremental) because the landed candles are many Parquet files (one per
-- series and period: a day for minute series, a month for hourly and coarser ones,
-- include/landing/store.py), and downstream models read this one table instead. A run reloads only
-- the partition files that are new or rewritten since the last run (by path and
-- modification time, listed without opening them), replacing their rows; rows of a file
-- that no longer exists are deleted after the run.
{%- set changed_files = [] %}
{%- if is_incremental() and execute %}
    {%- set changed = run_query(
        "select filename from read_blob('" ~ landed_candles_glob() ~ "') "
        ~ "except select source_file from (select source_file, any_value(source_modified) as source_modified "
        ~ "from " ~ this ~ " group by source_file) as loaded "
        ~ "join read_blob('" ~ landed_candles_glob() ~ "') as f "
        ~ "on f.filename = loaded.source_file and f.last_modified = loaded.source_modified") %}
    {%- set changed_files = changed.columns[0].values() | list %}
{%- endif %}

with landed as (
    {% if not is_incremental() %}
    select * from {{ source('landed', 'candles') }}
    {% elif changed_files %}
    select *
    from read_parquet([{% for f in changed_files %}'{{ f }}'{{ ", " if not loop.last }}{% endfor %}],
                      hive_partitioning = true, filename = true)
    {% else %}
    -- nothing new: an empty batch with the source's columns
    select * from {{ source('landed', 'candles') }} where false
    {% endif %}
),

files as (
    select filename, last_modified from read_blob('{{ landed_candles_glob() }}')
),

-- The store keeps one row per open time in a file (include/landing/store.py merges on timestamp),
-- so a bar can be landed twice only in two files of the same series whose spans overlap (say a
-- day file next to the month file that replaced it). Only those files' rows go through the
-- deduplicating window (the first file by name wins); a window over every row cost most of
-- this model's time. The unique test on (exchange, symbol, timeframe, ts) guards the rest.
spans as (
    select filename, exchange, symbol, timeframe, min("timestamp") as first_ts, max("timestamp") as last_ts
    from landed
    group by all
),

overlapping as (
    select distinct a.filename
    from spans as a
    join spans as b
        on a.exchange = b.exchange and a.symbol = b.symbol and a.timeframe = b.timeframe
        and a.filename <> b.filename and a.first_ts <= b.last_ts and b.first_ts <= a.last_ts
),

typed as (
    select
        l.exchange,
        -- the inverse of symbol_key in include/landing/store.py: '-' -> '/', '_' -> ':', '~hh' -> one UTF-8 byte
        url_decode(replace(replace(replace(l.symbol, '-', '/'), '_', ':'), '~', '%')) as symbol,
        l.timeframe,
        l."timestamp"::timestamptz as ts,
        timezone('UTC', l."timestamp"::timestamptz)::date as trade_date,
        l.open::double as open,
        l.high::double as high,
        l.low::double as low,
        l.close::double as close,
        l.volume::double as volume,
        l.filename as source_file,
        f.last_modified as source_modified,
        l.symbol as symbol_key
    from landed as l
    join files as f on f.filename = l.filename
),

deduplicated as (
    select * from typed
    where source_file in (select filename from overlapping)
    qualify row_number() over (partition by exchange, symbol_key, timeframe, ts order by source_file) = 1
)

select * exclude (symbol_key) from typed
where source_file not in (select filename from overlapping)
union all
select * exclude (symbol_key) from deduplicated
