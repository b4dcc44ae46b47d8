"""A real SMTP server on loopback (aiosmtpd) and the Airflow connection that points at it.

The server accepts one login (LOGIN/PASSWORD below, plain text allowed since it is
loopback without TLS) and keeps every message it receives. The connection
`smtp_test` comes from the environment variable AIRFLOW_CONN_SMTP_TEST, so no
Airflow metadata database is needed.
"""
from __future__ import annotations

import email
import json
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.dags.isolated_airflow import free_port

CONN_ID = "smtp_test"
LOGIN = "peak-trade-bot"
PASSWORD = "Sup3r-S3cret-smtp-pw!"  # must appear in no message, log line or return value


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default_policy)


@dataclass
class MailStore:
    """The aiosmtpd handler: keeps each envelope; the authenticator: accepts LOGIN/PASSWORD only."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == LOGIN
              and auth_data.password.decode() == PASSWORD)
        if ok:
            self.logins.append(LOGIN)
        return AuthResult(success=ok, handled=False)  # failure: the server answers 535


@dataclass
class SmtpServer:
    host: str
    port: int
    store: MailStore

    @property
    def received(self) -> list[Received]:
        return self.store.received


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """The loopback server, on a free port, for the body of the `with`."""
    store = MailStore()
    controller = Controller(store, hostname="127.0.0.1", port=free_port(), server_hostname="localhost",
                            authenticator=store.authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, store)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with running_smtp_server() as server:
        yield server


def connection_json(server: SmtpServer, password: str = PASSWORD, **extra) -> str:
    """The connection as Airflow reads it from AIRFLOW_CONN_<ID> (JSON form), TLS and SSL off."""
    return json.dumps({
        "conn_type": "smtp", "host": server.host, "port": server.port, "login": LOGIN, "password": password,
        "extra": {"disable_tls": True, "disable_ssl": True, "timeout": 10, "retry_limit": 0, **extra},
    })


def loopback_sender(server: SmtpServer):
    """A send_email transport for include/reports without Airflow: smtplib to the loopback server,
    logged in as LOGIN; returns what was sent (to, subject), as operators/report_delivery.py does."""
    def send(message: EmailMessage, conn_id: str) -> dict:
        with smtplib.SMTP(server.host, server.port, timeout=10) as client:
            client.login(LOGIN, PASSWORD)
            client.send_message(message)
        return {"conn_id": conn_id, "subject": str(message["Subject"]),
                "to": [addr for _, addr in getaddresses(message.get_all("To", []))]}
    return send


@pytest.fixture
def smtp_conn(smtp_server, monkeypatch) -> str:
    """AIRFLOW_CONN_SMTP_TEST pointing at the loopback server; returns the conn id."""
    monkeypatch.setenv("AIRFLOW_CONN_" + CONN_ID.upper(), connection_json(smtp_server))
    return CONN_ID
