"""Binance's error answers: HTTP status plus the {"code": .., "msg": ..} body, worded as the venue words them.

ccxt maps the code (and for some the message) to its exception classes
(ccxt/binance.py `exceptions`, `handle_errors`), so the wording matters as much as the code.
"""
from __future__ import annotations


class VenueError(Exception):
    """An answer the venue gives instead of a result."""

    def __init__(self, status: int, code: int, msg: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg = status, code, msg
        self.headers = headers or {}

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def filter_failure(name: str) -> VenueError:
    return VenueError(400, -1013, f"Filter failure: {name}")


def insufficient_balance() -> VenueError:
    return VenueError(400, -2010, "Account has insufficient balance for requested action.")


def duplicate_order() -> VenueError:
    return VenueError(400, -2010, "Duplicate order sent.")


def order_does_not_exist() -> VenueError:
    return VenueError(400, -2013, "Order does not exist.")


def unknown_order_sent() -> VenueError:
    return VenueError(400, -2011, "Unknown order sent.")


def invalid_symbol() -> VenueError:
    return VenueError(400, -1121, "Invalid symbol.")


def mandatory_param(name: str) -> VenueError:
    return VenueError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def bad_param(name: str) -> VenueError:
    return VenueError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}(\\.[0-9]{{1,20}})?$'.")


def api_key_format() -> VenueError:
    return VenueError(401, -2014, "API-key format invalid.")


def api_key_rejected() -> VenueError:
    return VenueError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def bad_signature() -> VenueError:
    return VenueError(400, -1022, "Signature for this request is not valid.")


def outside_recv_window() -> VenueError:
    return VenueError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def backend_timeout() -> VenueError:
    # Binance answers 503 when the matching engine did not reply in time: the outcome is unknown.
    return VenueError(503, -1007, "Timeout waiting for response from backend server. "
                                  "Send status unknown; execution status unknown.")


def too_many_requests(retry_after_s: int) -> VenueError:
    return VenueError(429, -1003, "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
                                  "Please use WebSocket Streams for live updates to avoid polling the API.",
                      {"Retry-After": str(retry_after_s)})


def ip_banned(until_ms: int, retry_after_s: int) -> VenueError:
    return VenueError(418, -1003, f"Way too much request weight used; IP banned until {until_ms}. "
                                  "Please use WebSocket Streams for live updates to avoid bans.",
                      {"Retry-After": str(retry_after_s)})
