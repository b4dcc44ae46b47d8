"""Sending: report emails through the SMTP connection, failure notifiers, circuit-breaker alerts.

The SMTP server, its login and password are the Airflow connection `reports.smtp_conn_id`
(smtp_default unless the config says otherwise); the config holds no secret. Add it with

    airflow connections add smtp_default --conn-type smtp --conn-host smtp.example.com \
        --conn-port 587 --conn-login peak-trade@example.com --conn-password '...' \
        --conn-extra '{"disable_ssl": true}'

(port 587 speaks STARTTLS: disable_ssl; port 465 is TLS from the start: disable_tls; a
plain relay inside the network: both), or the environment variable AIRFLOW_CONN_SMTP_DEFAULT
holding the same as JSON. The From address is `reports.sender` (the connection's
`from_email` extra is not used, so reports and failure emails agree).

Slack, Discord and Telegram are used when `notifications.<name>_conn_id` is set; their
Airflow providers are optional and imported only then. Who hears what, and when, is
include/reports/notify.py's; this module holds the Airflow transports it is given.
"""
from __future__ import annotations

import importlib
import logging
import smtplib
from email.message import EmailMessage
from email.utils import getaddresses

from airflow.providers.smtp.hooks.smtp import SmtpHook
from airflow.sdk import BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.reports import notify
from include.reports.delivery import Report, ReportDeliveryError
from include.reports.notify import chat_channels, notification_addresses

log = logging.getLogger(__name__)

# What failed, for the failure notifiers (task callbacks have `ti`; DAG callbacks `dag_run`).
_WHAT_FAILED = ("{% if ti is defined %}{{ ti.dag_id }}.{{ ti.task_id }} (run {{ ti.run_id }}, try {{ ti.try_number }})"
                "{% elif dag_run is defined %}{{ dag_run.dag_id }} (run {{ dag_run.run_id }})"
                "{% else %}a Peak Trade task{% endif %}")
FAILURE_SUBJECT = "[Peak Trade] failed: " + _WHAT_FAILED
FAILURE_TEXT = ("Peak Trade: " + _WHAT_FAILED + " failed."
                "{% if ti is defined and ti.log_url is defined %} Log: {{ ti.log_url }}{% endif %}")

# notifications.<key> (include.reports.notify.CHAT_CHANNELS): (module, class, pip package) of the optional
# chat providers.
CHAT_PROVIDERS = {
    "slack_conn_id": ("airflow.providers.slack.notifications.slack", "SlackNotifier",
                      "apache-airflow-providers-slack"),
    "discord_conn_id": ("airflow.providers.discord.notifications.discord", "DiscordNotifier",
                        "apache-airflow-providers-discord"),
    # The Telegram provider has a hook but no notifier: TelegramNotifier below wraps the hook.
    "telegram_conn_id": ("airflow.providers.telegram.hooks.telegram", "TelegramHook",
                         "apache-airflow-providers-telegram"),
}


def add_connection_hint(conn_id: str) -> str:
    env = "AIRFLOW_CONN_" + conn_id.upper()
    return (f"add it with `airflow connections add {conn_id} --conn-type smtp --conn-host <server> "
            f"--conn-port <587|465|25> --conn-login <user> --conn-password <password> "
            f"--conn-extra '{{\"disable_ssl\": true}}'` (587: disable_ssl, 465: disable_tls), or set {env} "
            f"to '{{\"conn_type\": \"smtp\", \"host\": ..., \"port\": ..., \"login\": ..., \"password\": ..., "
            f"\"extra\": {{...}}}}'")


# -- email -------------------------------------------------------------------------------------------

def send_report_email(message: EmailMessage, conn_id: str) -> dict:
    """Send a prepared message (attachments and all) through the SMTP connection `conn_id`.

    The provider's SmtpHook opens the connection (host, port, SSL/STARTTLS per the
    disable_ssl/disable_tls extras, login with the connection's password); the message
    goes as built, so the attachments keep their MIME types. (SmtpHook.send_email_smtp
    would rebuild it as HTML with application/octet-stream attachments.) Returns what
    was sent: subject, sender, recipients, attachment names, the server - never the login
    or the password.
    """
    connection = _smtp_connection(conn_id)
    server = f"{connection.host}:{connection.port or 'default port'}"
    recipients = [addr for _, addr in getaddresses(message.get_all("To", []) + message.get_all("Cc", [])
                                                   + message.get_all("Bcc", []))]
    hook = SmtpHook(smtp_conn_id=conn_id)
    try:
        hook.get_conn()
        if hook.from_email and hook.from_email != message["From"]:
            log.info("the connection %s has from_email %s; sending From: %s (reports.sender)",
                     conn_id, hook.from_email, message["From"])
        # The hook's own client: the provider has no public call that sends a prepared message.
        refused = hook._smtp_client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise ReportDeliveryError(
            f"SMTP connection {conn_id!r}: {server} refused the login {connection.login!r} "
            f"({exc.smtp_code} {_text(exc.smtp_error)}); fix the connection's login or password") from None
    except smtplib.SMTPNotSupportedError:
        raise ReportDeliveryError(
            f"SMTP connection {conn_id!r}: {server} offers no login (AUTH) on this connection; servers usually "
            "offer it only over TLS, so remove disable_tls/disable_ssl from the connection's extra, or clear "
            "its login for a relay that needs none") from None
    except smtplib.SMTPSenderRefused as exc:
        raise ReportDeliveryError(
            f"SMTP connection {conn_id!r}: {server} refused the sender {exc.sender!r} ({exc.smtp_code} "
            f"{_text(exc.smtp_error)}); set reports.sender to an address this account may send from") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise ReportDeliveryError(
            f"SMTP connection {conn_id!r}: {server} refused every recipient: "
            + "; ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in exc.recipients.items())
            + "; check the addresses in the config") from None
    except (OSError, smtplib.SMTPException) as exc:
        # Unreachable or dropped: left to the task's retries, with the server named.
        log.error("SMTP connection %s: sending to %s failed: %s: %s", conn_id, server, type(exc).__name__, exc)
        raise
    finally:
        _close(hook)
    if refused:
        raise ReportDeliveryError(
            f"SMTP connection {conn_id!r}: sent {message['Subject']!r}, but {server} refused "
            + "; ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in refused.items())
            + "; check those addresses in the config")
    attachments = [part.get_filename() for part in message.iter_attachments()]
    log.info("sent %r from %s to %s through %s (%s)%s", message["Subject"], message["From"], ", ".join(recipients),
             conn_id, server, f" with {', '.join(attachments)}" if attachments else "")
    return {"conn_id": conn_id, "server": server, "subject": str(message["Subject"]), "from": str(message["From"]),
            "to": recipients, "attachments": attachments}


def _smtp_connection(conn_id: str):
    try:
        connection = SmtpHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise ReportDeliveryError(f"SMTP connection {conn_id!r} does not exist (reports.smtp_conn_id); "
                                  + add_connection_hint(conn_id)) from None
    if not connection.host:
        raise ReportDeliveryError(f"SMTP connection {conn_id!r} has no host; set its host (and port): "
                                  + add_connection_hint(conn_id))
    return connection


def _close(hook: SmtpHook) -> None:
    client = hook._smtp_client
    hook._smtp_client = None
    if client is not None:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# -- failure notifiers ---------------------------------------------------------------------------------

def build_notifiers(config: PeakTradeConfig) -> list[BaseNotifier]:
    """Notifiers for on_failure_callback: email to the notification addresses, and each chat
    channel whose connection id is set (ConfigError when its provider is not installed)."""
    notifiers: list[BaseNotifier] = []
    addresses = notification_addresses(config)
    if addresses:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        notifiers.append(SmtpNotifier(to=addresses, from_email=config.reports.sender, subject=FAILURE_SUBJECT,
                                      smtp_conn_id=config.reports.smtp_conn_id))
    for key, conn_id in chat_channels(config):
        notifiers.append(_chat_notifier(key, conn_id, FAILURE_TEXT))
    return notifiers


def _provider_class(key: str, conn_id: str):
    module, name, package = CHAT_PROVIDERS[key]
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        raise ConfigError(f"notifications.{key} is {conn_id!r}, but its Airflow provider is not installed: "
                          f"add {package} to requirements.in and install it (pip install {package}), "
                          f"or remove notifications.{key} from the config") from None


def _chat_notifier(key: str, conn_id: str, text: str) -> BaseNotifier:
    cls = _provider_class(key, conn_id)
    if key == "slack_conn_id":
        return cls(slack_conn_id=conn_id, text=text, username="Peak Trade")
    if key == "discord_conn_id":
        return cls(discord_conn_id=conn_id, text=text, username="Peak Trade")
    return TelegramNotifier(telegram_conn_id=conn_id, text=text)


class TelegramNotifier(BaseNotifier):
    """A plain-text message to the chat of a Telegram connection (bot token: password, chat id: host)."""

    template_fields = ("text", "telegram_conn_id")

    def __init__(self, telegram_conn_id: str, text: str):
        super().__init__()
        self.telegram_conn_id = telegram_conn_id
        self.text = text

    def notify(self, context) -> None:
        from airflow.providers.telegram.hooks.telegram import TelegramHook

        TelegramHook(telegram_conn_id=self.telegram_conn_id).send_message({"text": self.text, "parse_mode": None})


# -- circuit breaker -----------------------------------------------------------------------------------

def chat_message(key: str, conn_id: str, text: str):
    """The chat transport include.reports.notify is given: the channel's notifier, built now (a missing
    provider is a ConfigError before anything is sent), and the call that sends `text`."""
    notifier = _chat_notifier(key, conn_id, text)
    return lambda: notifier.notify({})


def notify_breaker(config: PeakTradeConfig, data: Report) -> list[dict]:
    """include.reports.notify.notify_breaker through the SMTP connection and the chat providers."""
    return notify.notify_breaker(config, data, send_report_email, chat_message)
