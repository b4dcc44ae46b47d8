"""Fetch a time range of candles from any ExchangeClient: pagination and retries.

Only transient faults (ccxt's NetworkError family: rate limits, timeouts,
exchange unavailable, DDoS protection) are retried, with exponential backoff.
Everything else, including malformed answers, stops at once with one message.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

import ccxt
import numpy as np
import pandas as pd

from include.errors import MalformedDataError, SourceError, TransientSourceError
from include.sources.base import OHLCV_COLUMNS, ExchangeClient
from include.timeframes import from_ms, timeframe_ms

log = logging.getLogger(__name__)

# ccxt.InvalidNonce is a NetworkError too, but only matters for private calls.
# ccxt.OperationFailed is what ccxt raises for "server busy, try again" error codes
# (binance -1001/-1008, ...); its BadResponse branch means a malformed answer and is not retried.
TRANSIENT_ERRORS = (ccxt.NetworkError, ccxt.OperationFailed)


def call_with_retry(
    call: Callable[[], object],
    *,
    what: str,
    retries: int = 5,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
):
    """Run call(); on a transient error wait base_delay * 2**attempt and try again."""
    for attempt in range(retries + 1):
        try:
            result = call()
        except ccxt.BadResponse as exc:
            raise MalformedDataError(f"{what}: malformed answer: {type(exc).__name__}: {exc}") from exc
        except TRANSIENT_ERRORS as exc:
            if attempt == retries:
                raise TransientSourceError(f"{what}: gave up after {retries + 1} attempts: {type(exc).__name__}: {exc}") from exc
            delay = min(max_delay, base_delay * 2**attempt)
            log.warning("%s: %s (%s), retry %d/%d in %.1fs", what, type(exc).__name__, exc, attempt + 1, retries, delay)
            sleep(delay)
        except ccxt.BaseError as exc:
            raise SourceError(f"{what}: {type(exc).__name__}: {exc}") from exc
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            # ccxt's parsers raise bare Python errors on answers of the wrong shape
            raise MalformedDataError(f"{what}: answer could not be parsed: {type(exc).__name__}: {exc}") from exc
        else:
            return result


SHOWN_KEYS = 8  # keys of an unexpected JSON object named in the error; the rest are counted


def _object_keys(answer: dict) -> str:
    keys = [repr(str(key)[:40]) for key in list(answer)[:SHOWN_KEYS]]
    more = len(answer) - SHOWN_KEYS
    return ", ".join(keys) + (f" and {more} more" if more > 0 else "")


def _last_json_object(client: ExchangeClient) -> dict | None:
    """The body of the client's last HTTP answer if it was a JSON object (ccxt keeps the raw text)."""
    body = getattr(client, "last_http_response", None)
    if not isinstance(body, str):
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _fetch_page(client: ExchangeClient, symbol: str, timeframe: str, since: int, limit: int, what: str):
    """One fetch_ohlcv call. ccxt hands a candle endpoint's answer to its row parser as is, and a JSON
    object where rows were expected fails there as a bare `KeyError: 0`: name what came instead."""
    try:
        return client.fetch_ohlcv(symbol, timeframe, since=since, limit=limit)
    except KeyError as exc:
        answer = _last_json_object(client) if exc.args == (0,) else None
        if answer is None:
            raise
        raise MalformedDataError(
            f"{what}: expected a list of OHLCV rows {list(OHLCV_COLUMNS)}, got a JSON object with keys "
            f"{_object_keys(answer)}"
        ) from exc


def _as_rows(batch, what: str) -> np.ndarray:
    """Check one exchange answer is a table of OHLCV rows and return it as floats."""
    try:
        rows = np.asarray(batch, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise MalformedDataError(f"{what}: answer is not a list of numeric OHLCV rows: {exc}") from exc
    if rows.size == 0:
        return rows.reshape(0, len(OHLCV_COLUMNS))
    if rows.ndim != 2 or rows.shape[1] != len(OHLCV_COLUMNS):
        raise MalformedDataError(
            f"{what}: expected rows of {len(OHLCV_COLUMNS)} values {OHLCV_COLUMNS}, got shape {rows.shape}"
        )
    if np.isnan(rows[:, 0]).any():
        raise MalformedDataError(f"{what}: a row has no timestamp")
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        first = rows[bad][0]
        raise MalformedDataError(
            f"{what}: {int(bad.sum())} row(s) with a missing or non-numeric value, first at {int(first[0])}: {first.tolist()}"
        )
    return rows


def fetch_candles(
    client: ExchangeClient,
    symbol: str,
    timeframe: str,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    *,
    limit: int = 1000,
    retry: dict | None = None,
) -> pd.DataFrame:
    """All closed candles with start_ms <= open time < end_ms, oldest first.

    The still-forming candle (open + timeframe > now_ms) is never returned.
    Paginates by `since`, advancing past the newest row of each page, until
    the range is covered or the exchange has nothing newer.
    """
    step = timeframe_ms(timeframe)
    end_ms = min(end_ms, now_ms - now_ms % step)  # the forming candle opens at floor(now)
    what = f"{client.id} {symbol} {timeframe}"
    pages, since = [], start_ms
    while since < end_ms:
        page = f"{what} since {from_ms(since):%Y-%m-%d %H:%M}"
        batch = call_with_retry(
            lambda: _fetch_page(client, symbol, timeframe, since, limit, page),
            what=page,
            **(retry or {}),
        )
        rows = _as_rows(batch, what)
        if len(rows) == 0:
            # Nothing in this answer. Exchanges that answer a time window (coinbase:
            # [since, since + limit candles]) leave out candles without trades, so an empty
            # window is not the end of the data: step over it until end_ms.
            since += limit * step
            continue
        newest = int(rows[:, 0].max())
        if newest < since:
            raise MalformedDataError(f"{what}: asked for candles since {since}, exchange answered older ones only")
        if not pages and rows[:, 0].min() > since + limit * step:
            # Some endpoints (kraken OHLC) serve only recent candles whatever `since` says.
            log.warning(
                "%s: asked for candles since %s, the exchange answered from %s on; older history is not "
                "served by this endpoint (import it with the file source)",
                what, from_ms(since), from_ms(int(rows[:, 0].min())),
            )
        pages.append(rows[(rows[:, 0] >= start_ms) & (rows[:, 0] < end_ms)])
        since = newest + step
    return _to_frame(pages)


def _to_frame(pages: list[np.ndarray]) -> pd.DataFrame:
    rows = np.concatenate(pages) if pages else np.empty((0, len(OHLCV_COLUMNS)))
    frame = pd.DataFrame(rows, columns=list(OHLCV_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True).astype(
        "datetime64[ms, UTC]"
    )
    # Pages can overlap when an exchange ignores `since` granularity: keep one row per open time.
    return frame.drop_duplicates("timestamp", keep="last").sort_values("timestamp", ignore_index=True)
