-- Daily simple returns per (exchange, symbol, trade_date): what include/portfolio/returns.py
-- reads from its export. The first day of a series has no return (NULL); days_spanned > 1 marks a
-- return over a gap. Definitions: docs/definitions.md, int_daily_returns.
select
    exchange,
    symbol,
    trade_date,
    daily_return,
    days_spanned,
    close,
    timeframe
from {{ ref('int_daily_returns') }}
