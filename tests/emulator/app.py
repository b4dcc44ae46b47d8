"""The emulator's HTTP face: the Binance spot REST routes ccxt.binance calls, auth, and fault injection.

Every route runs the same way: read the parameters (query string and form body), check the API key and
HMAC-SHA256 signature of signed routes, draw this request's faults, act on the venue under the
emulator's lock, then answer, refuse, or hold the answer back past the client's timeout.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.emulator import errors
from tests.emulator.faults import Injection
from tests.emulator.state import now_ms

MAX_RECV_WINDOW = 60_000
SERVER_PAGES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def create_app(emulator) -> FastAPI:
    """Routes bound to one Emulator handle (tests/emulator/server.py)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    venue = emulator.venue

    def route(method: str, path: str, endpoint: str, op: Callable[[dict, Injection], object], *,
              signed: bool) -> None:
        async def handle(request: Request) -> Response:
            raw_query = request.url.query
            raw_body = (await request.body()).decode()
            params = dict(parse_qsl(raw_query, keep_blank_values=True))
            params.update(parse_qsl(raw_body, keep_blank_values=True))
            try:
                if signed:
                    _authenticate(emulator, request, raw_query, raw_body, params)
            except errors.VenueError as refusal:
                return _error(refusal)
            return await _serve(emulator, endpoint, op, params)

        app.add_api_route(path, handle, methods=[method], include_in_schema=False)

    route("GET", "/api/v3/ping", "time", lambda p, i: {}, signed=False)
    route("GET", "/api/v3/time", "time", lambda p, i: {"serverTime": now_ms()}, signed=False)
    route("GET", "/api/v3/exchangeInfo", "exchange_info", lambda p, i: venue.exchange_info(p), signed=False)
    for shape in ("24hr", "price", "bookTicker"):
        route("GET", f"/api/v3/ticker/{shape}", "ticker",
              lambda p, i, shape=shape: venue.tickers(p, shape), signed=False)
    route("GET", "/api/v3/account", "account", lambda p, i: venue.account(p), signed=True)
    route("POST", "/api/v3/order", "create", lambda p, i: venue.create(
        p, fault=i.response.kind if i.response else None, partial=i.behaviour("partial_fill"),
        lag=i.behaviour("not_found_lag")), signed=True)
    route("GET", "/api/v3/order", "query", lambda p, i: venue.query(p), signed=True)
    route("DELETE", "/api/v3/order", "cancel",
          lambda p, i: venue.cancel(p, late_fill=i.behaviour("late_fill_after_cancel")), signed=True)
    route("GET", "/api/v3/openOrders", "open_orders", lambda p, i: venue.open_orders(p), signed=True)
    route("GET", "/api/v3/allOrders", "all_orders", lambda p, i: venue.all_orders(p), signed=True)
    route("GET", "/api/v3/myTrades", "my_trades", lambda p, i: venue.my_trades(p), signed=True)
    return app


async def _serve(emulator, endpoint: str, op, params: dict) -> Response:
    with emulator.lock:
        injection = emulator.faults.draw(endpoint)
        fault = injection.response
        answer = _act(emulator, endpoint, op, params, injection, fault)
    if fault is not None and fault.kind == "lost_response":
        # Acted on, then the answer arrives only after the client gave up waiting.
        await asyncio.sleep(emulator.faults.lost_delay_s)
    return answer


def _act(emulator, endpoint, op, params, injection: Injection, fault) -> Response:
    """Run one request against the venue (under the lock) and build its answer."""
    kind = fault.kind if fault else None
    if kind is not None:
        emulator.count(kind)
    if kind in ("rate_limit_429", "ban_418"):   # refused at the gateway: the venue never sees it
        retry = emulator.faults.retry_after_s
        return _error(errors.too_many_requests(retry) if kind == "rate_limit_429"
                      else errors.ip_banned(now_ms() + retry * 1000, retry))
    if kind == "duplicate_reject":
        refusal = errors.duplicate_order()
        emulator.venue.record_unprocessed(params, kind, refusal)
        return _error(refusal)
    if kind in ("unknown_1007", "server_5xx") and not fault.processed:
        if endpoint == "create":
            emulator.venue.record_unprocessed(params, kind, None)
        return _failure(fault)
    try:
        result = op(params, injection)
        for behaviour in injection.behaviours or {}:
            emulator.count(behaviour)
    except errors.VenueError as refusal:
        answer = _error(refusal)
    else:
        answer = JSONResponse(result)
    if kind in ("unknown_1007", "server_5xx"):   # acted on, but the client is told the outcome is unknown
        return _failure(fault)
    return answer


def _failure(fault) -> Response:
    if fault.kind == "unknown_1007":
        return _error(errors.backend_timeout())
    title = SERVER_PAGES[fault.status]
    page = f"<html><head><title>{fault.status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return Response(page, status_code=fault.status, media_type="text/html")


def _error(refusal: errors.VenueError) -> JSONResponse:
    return JSONResponse(refusal.body(), status_code=refusal.status, headers=refusal.headers)


def _authenticate(emulator, request: Request, raw_query: str, raw_body: str, params: dict) -> None:
    """Binance's USER_DATA/TRADE checks: API key header, HMAC-SHA256 of the parameters, recvWindow."""
    key = request.headers.get("X-MBX-APIKEY", "")
    if not key or any(c.isspace() for c in key):
        raise errors.api_key_format()
    if not hmac.compare_digest(key.encode(), emulator.api_key.encode()):
        raise errors.api_key_rejected()
    for name in ("signature", "timestamp"):
        if not params.get(name):
            raise errors.mandatory_param(name)
    # Binance signs the query string followed by the body ("totalParams"), without the signature itself.
    payload = "".join("&".join(p for p in raw.split("&") if p and not p.startswith("signature="))
                      for raw in (raw_query, raw_body))
    expected = hmac.new(emulator.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), params["signature"].lower().encode()):
        raise errors.bad_signature()
    try:
        stamp, window = int(params["timestamp"]), int(params.get("recvWindow") or 5000)
    except ValueError:
        raise errors.bad_param("timestamp") from None
    if window > MAX_RECV_WINDOW:
        raise errors.VenueError(400, -1131, "recvWindow must be less than 60000")
    server = now_ms()
    if stamp > server + 1000 or server - stamp > window:
        raise errors.outside_recv_window()
