"""A venue account's API credentials, and scrubbing them out of any text before it is shown or stored.

The operator layer reads them from the Airflow Connection `execution.venues.<name>.connection_id`
(login = API key, password = secret, extra {"passphrase": ...}); this library never logs, stores
or prints them: repr and str are masked, and every exception text leaving the ccxt broker goes
through scrub().
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from include.errors import ConfigError

MASK = "***"
# Signed request parameters a venue's URL or body may carry (Binance: signature=, Coinbase/OKX headers...).
_SIGNED_PARAMS = re.compile(r"(?i)\b(signature|apikey|api_key|api-key|x-mbx-apikey|passphrase|secret|sign)"
                            r"(=|\"?\s*:\s*\"?)[^&\s\"',}]+")
_MIN_SECRET_CHARS = 4  # shorter strings would scrub ordinary words; no real key is this short


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)  # ccxt's name for a passphrase (OKX, KuCoin...)

    def __repr__(self) -> str:
        return f"Credentials(api_key={MASK}, secret={MASK}, password={MASK if self.password else None})"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """The non-empty secret strings, longest first (so a secret containing another is masked whole)."""
        return tuple(sorted({s for s in (self.api_key, self.secret, self.password) if s}, key=len, reverse=True))

    @classmethod
    def from_connection(cls, connection_id: str, login: str | None, password: str | None,
                        extra: str | dict | None = None) -> Credentials:
        """From an Airflow Connection's fields; a missing key or secret names the connection, never a value."""
        if not login or not password:
            missing = " and ".join(k for k, v in (("login (the API key)", login), ("password (the secret)", password))
                                   if not v)
            raise ConfigError(f"Airflow connection {connection_id!r}: {missing} is empty; set the venue's API key "
                              "as login and its secret as password")
        if isinstance(extra, str):
            try:
                extra = json.loads(extra) if extra.strip() else {}
            except ValueError:
                raise ConfigError(f"Airflow connection {connection_id!r}: extra is not JSON; valid: "
                                  '{"passphrase": "..."} or empty') from None
        passphrase = (extra or {}).get("passphrase") if isinstance(extra, dict) else None
        return cls(login, password, passphrase or None)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """text with every secret (and signed request parameters such as signature=...) replaced by ***."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _SIGNED_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
