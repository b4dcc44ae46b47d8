"""Circuit-breaker alerts: who hears (notification addresses, chat channels), when (level 1 or
more), what the email says, and the clear errors when nobody can hear or a channel fails. The
email goes to a real SMTP server on loopback (aiosmtpd) through a plain smtplib transport; the
Airflow transports have their own tests in tests/adapters/test_notifiers.py."""
from __future__ import annotations

import logging
import re

import pytest

from include.errors import ConfigError
from include.reports.model import ReportSummary
from include.reports.notify import NotificationFailed, alert_breaker, has_channels, notify_breaker
from tests.reports.smtp_support import (CONN_ID, PASSWORD, MailStore, SmtpServer, loopback_sender,  # noqa: F401
                                        smtp_server)
from tests.reports.support import at_breaker_level as _at_level, notify_config as _config, sample_report

DESK = ["desk@example.com"]
ONCALL = ["oncall@example.com", "cro@example.com"]


def _no_chat(key, conn_id, text):
    raise AssertionError(f"no chat channel is configured, yet {key} was asked for")


def test_a_breaker_event_emails_the_notification_addresses(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    data = _at_level(1)
    sent = notify_breaker(_config(DESK, email=ONCALL), data, loopback_sender(smtp_server), _no_chat)
    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == sorted(ONCALL)
    message = received.message
    assert message["Subject"] == "[Peak Trade] Circuit breaker at level 1 of 3 (warn)"
    body = message.get_body(("plain",)).get_content()
    assert "The drawdown circuit breaker is at level 1 of 3 (warn) as of 2024-06-01." in body
    assert "Current drawdown: -5.20 %" in body
    assert list(message.iter_attachments()) == []
    assert sent == [{"channel": "email", "conn_id": CONN_ID, "to": ONCALL, "subject": message["Subject"]}]
    assert PASSWORD not in repr(sent) and PASSWORD not in caplog.text


def test_no_breaker_event_sends_nothing(smtp_server):
    assert notify_breaker(_config(DESK, email=ONCALL), _at_level(0), loopback_sender(smtp_server), _no_chat) == []
    unknown = sample_report(empty=True)  # no data: level None
    assert notify_breaker(_config(DESK), unknown, loopback_sender(smtp_server), _no_chat) == []
    assert smtp_server.received == []


def test_a_breaker_event_with_nobody_to_tell_is_a_config_error(smtp_server):
    with pytest.raises(ConfigError, match="circuit breaker at level 2 .*set notifications.email or "
                                          "reports.recipients"):
        notify_breaker(_config(), _at_level(2), loopback_sender(smtp_server), _no_chat)
    assert smtp_server.received == []


def test_has_channels_is_what_the_breaker_alert_task_checks_before_sending():
    assert not has_channels(_config())
    assert has_channels(_config(recipients=["desk@example.com"]))
    assert not has_channels(_config(recipients=["desk@example.com"], email=[]))  # email opted out


def test_the_alert_step_notifies_only_above_level_0(smtp_server):
    def built(level):
        return {"pdf": "unused.pdf", "xlsx": "unused.xlsx", "summary": ReportSummary.of(_at_level(level)).to_json()}

    config, send = _config(DESK), loopback_sender(smtp_server)
    assert alert_breaker(config, built(0), send, _no_chat) == {"notified": False}
    assert smtp_server.received == []
    outcome = alert_breaker(config, built(2), send, _no_chat)
    [received] = smtp_server.received
    assert outcome == {"notified": True, "channels": [
        {"channel": "email", "conn_id": CONN_ID, "to": DESK, "subject": received.message["Subject"]}]}
    assert received.message["Subject"] == "[Peak Trade] Circuit breaker at level 2 of 3 (halve)"


def test_a_chat_channel_that_cannot_be_prepared_stops_the_alert_before_anything_is_sent(smtp_server):
    def unavailable(key, conn_id, text):  # what the Airflow transport raises for a provider not installed
        raise ConfigError(f"notifications.{key} is {conn_id!r}, but its Airflow provider is not installed")

    with pytest.raises(ConfigError, match="notifications.slack_conn_id"):
        notify_breaker(_config(DESK, slack_conn_id="slack_default"), _at_level(3), loopback_sender(smtp_server),
                       unavailable)
    assert smtp_server.received == []


def test_every_channel_is_tried_and_a_failure_is_named_after_the_others_are_sent():
    chats = []

    def chat(key, conn_id, text):
        return lambda: chats.append((key, conn_id, text))

    down = loopback_sender(SmtpServer("127.0.0.1", _closed_port(), MailStore()))  # unreachable: a retry may fix it
    failure = re.escape(f"circuit breaker at level 1: could not notify email through '{CONN_ID}': "
                        "ConnectionRefusedError: ")
    with pytest.raises(NotificationFailed, match=f"^{failure}.*{re.escape(' (sent: slack)')}$"):
        notify_breaker(_config(DESK, slack_conn_id="slack_default"), _at_level(1), down, chat)
    [(key, conn_id, text)] = chats
    assert (key, conn_id) == ("slack_conn_id", "slack_default")
    assert text.startswith("[Peak Trade] Circuit breaker at level 1 of 3 (warn)\n")


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
