"""The Airflow side of notifications: failure notifiers (email through the SMTP connection, chat
providers), the breaker alert through the SMTP connection to a real SMTP server on loopback,
and the clear errors when a channel's provider is missing. Which channels hear what is
include/reports/notify.py's (tests/reports/test_notify.py)."""
from __future__ import annotations

import importlib.util
import logging
import re
from types import SimpleNamespace

import pytest
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from include.errors import ConfigError
from include.reports.notify import notification_addresses
from operators.report_delivery import build_notifiers, notify_breaker
from tests.reports.smtp_support import CONN_ID, PASSWORD, smtp_conn, smtp_server  # noqa: F401
from tests.reports.support import SENDER, at_breaker_level as _at_level, notify_config as _config

DESK = ["desk@example.com"]
ONCALL = ["oncall@example.com", "cro@example.com"]
PROVIDERS = {"slack_conn_id": "apache-airflow-providers-slack", "discord_conn_id": "apache-airflow-providers-discord",
             "telegram_conn_id": "apache-airflow-providers-telegram"}


def test_email_only_gives_one_smtp_notifier_to_the_notification_addresses():
    [notifier] = build_notifiers(_config(DESK, email=ONCALL))
    assert isinstance(notifier, SmtpNotifier)
    assert notifier.to == ONCALL
    assert notifier.from_email == SENDER
    assert notifier.smtp_conn_id == CONN_ID


def test_notification_email_defaults_to_the_report_recipients_and_can_opt_out():
    [notifier] = build_notifiers(_config(DESK))
    assert notifier.to == DESK
    assert notification_addresses(_config(DESK, email=[])) == []
    assert build_notifiers(_config(DESK, email=[])) == []
    assert build_notifiers(_config()) == []


@pytest.mark.parametrize("key", sorted(PROVIDERS))
def test_a_chat_channel_without_its_provider_names_the_key_and_the_package(key):
    module = PROVIDERS[key].replace("apache-airflow-providers-", "airflow.providers.")
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{PROVIDERS[key]} is installed here")
    package = PROVIDERS[key]
    message = (f"notifications.{key} is 'chat_default', but its Airflow provider is not installed: add {package} "
               f"to requirements.in and install it (pip install {package}), or remove notifications.{key} from the "
               "config")
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        build_notifiers(_config(DESK, **{key: "chat_default"}))


def test_the_failure_notifier_delivers_through_the_connection(smtp_server, smtp_conn):
    [notifier] = build_notifiers(_config(DESK, email=ONCALL))
    ti = SimpleNamespace(dag_id="daily_report", task_id="build_report", run_id="scheduled__2024-06-02",
                         try_number=3, max_tries=2, state="failed", hostname="worker-1",
                         log_url="http://localhost:8080/log")
    notifier({"ti": ti, "task_instance": ti})
    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == sorted(ONCALL)
    assert received.message["Subject"] == ("[Peak Trade] failed: daily_report.build_report "
                                           "(run scheduled__2024-06-02, try 3)")
    assert PASSWORD not in received.raw.decode("utf-8", errors="replace")


def test_a_breaker_event_emails_the_notification_addresses(smtp_server, smtp_conn, caplog):
    caplog.set_level(logging.DEBUG)
    data = _at_level(1)
    sent = notify_breaker(_config(DESK, email=ONCALL), data)
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


def test_a_missing_chat_provider_stops_the_alert_before_anything_is_sent(smtp_server, smtp_conn):
    if importlib.util.find_spec("airflow.providers.slack") is not None:
        pytest.skip("apache-airflow-providers-slack is installed here")
    with pytest.raises(ConfigError, match="notifications.slack_conn_id"):
        notify_breaker(_config(DESK, slack_conn_id="slack_default"), _at_level(3))
    assert smtp_server.received == []


def test_every_task_notifies_on_failure_once_an_address_is_configured():
    from operators.common import default_args

    assert "on_failure_callback" not in default_args(_config())
    callbacks = default_args(_config(recipients=["desk@example.com"]))["on_failure_callback"]
    assert [type(n) for n in callbacks] == [SmtpNotifier]
