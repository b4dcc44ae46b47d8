"""Who hears of failed tasks and circuit-breaker events, and when the breaker alert goes out.

The channels are the config's: email to `notifications.email` (default: reports.recipients;
[] opts out) and each chat connection id set under `notifications`. The transports are
passed in, so this module neither opens a connection nor knows where a password lives:

- send_email(message, smtp_conn_id) sends a prepared EmailMessage and returns what was sent
  (at least "to" and "subject", never a secret);
- chat_message(key, conn_id, text) prepares a chat message for the channel `notifications.<key>`
  and returns the call that sends it. Preparing may raise ConfigError (a provider not
  installed), which stops an alert before anything is sent.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from include.config.schema import PeakTradeConfig
from include.errors import ConfigError, PeakTradeError
from include.reports.delivery import Report, ReportDeliveryError, SendEmail, breaker_alert, compose_alert
from include.reports.model import ReportSummary

log = logging.getLogger(__name__)

ChatMessage = Callable[[str, str, str], Callable[[], object]]

CHAT_CHANNELS = ("slack_conn_id", "discord_conn_id", "telegram_conn_id")  # notifications.<key>, in sending order


class NotificationFailed(RuntimeError):
    """A channel failed for a reason a retry may fix (server unreachable, dropped connection)."""


class NobodyToNotify(ConfigError):
    """A circuit-breaker event, and no channel configured to hear of it."""


def notification_addresses(config: PeakTradeConfig) -> list[str]:
    """notifications.email, or reports.recipients when it is not set ([] opts out of email)."""
    email = config.notifications.email
    return list(config.reports.recipients if email is None else email)


def chat_channels(config: PeakTradeConfig) -> list[tuple[str, str]]:
    """(notifications key, connection id) of each chat channel that is set."""
    return [(key, getattr(config.notifications, key)) for key in CHAT_CHANNELS
            if getattr(config.notifications, key)]


def has_channels(config: PeakTradeConfig) -> bool:
    """Whether any notification channel (an address or a chat connection) is configured."""
    return bool(notification_addresses(config) or chat_channels(config))


# Levels 2 (halve) and 3 (halt) change what the desk may do: a run that sees one is marked failed by its
# check_breaker task, so the DAG list shows it, not only the alert channels.
FLAG_LEVEL = 2
BREAKER_CONSEQUENCES = {2: "risk-increasing orders are halved",
                        3: "rebalances refuse; only risk-reducing orders (flatten_all, liquidations) may leave"}


def breaker_flag(level: int | None, state: str, detail: str) -> str | None:
    """The message a run fails with when the breaker is at level 2 or 3, else None (level 0, 1, unknown)."""
    if level is None or level < FLAG_LEVEL:
        return None
    return f"circuit breaker at level {level} of 3 ({state}): {detail}; {BREAKER_CONSEQUENCES[min(level, 3)]}"


def report_breaker_flag(built: dict) -> str | None:
    """breaker_flag of a built report (what include.reports.build.build_report returned)."""
    summary = ReportSummary.from_json(built["summary"])
    h = summary.headline
    drawdown = "n/a" if h.drawdown is None else f"{h.drawdown:.1%}"
    as_of = "n/a" if h.as_of is None else h.as_of.isoformat()
    return breaker_flag(h.breaker_level, h.breaker_state,
                        f"{h.label}, drawdown {drawdown} as of {as_of} ({summary.period.title})")


def alert_breaker(config: PeakTradeConfig, built: dict, send_email: SendEmail, chat_message: ChatMessage) -> dict:
    """The step after build_report: notify when the report's breaker level is 1 or more.

    `built` is what include.reports.build.build_report returned (its summary is what the files
    show). {"notified": False} at level 0 or unknown; {"notified": True, "channels": [...]}
    once every channel was told; NobodyToNotify when no channel is configured.
    """
    summary = ReportSummary.from_json(built["summary"])
    level = summary.headline.breaker_level
    if not level:
        log.info("circuit breaker at level %s: nothing to notify", level)
        return {"notified": False}
    return {"notified": True, "channels": notify_breaker(config, summary, send_email, chat_message)}


def notify_breaker(config: PeakTradeConfig, data: Report, send_email: SendEmail,
                   chat_message: ChatMessage) -> list[dict]:
    """At breaker level 1 or more, tell every configured channel; returns what went where (no secrets).

    Level 0 (or unknown) sends nothing and returns []. Every channel is tried; a channel
    that fails is named in one error after the others have been sent. No channel at all
    is NobodyToNotify (a ConfigError): a breaker event must reach someone.
    """
    level = data.headline.breaker_level
    if not level:
        return []
    subject, body = breaker_alert(data)
    log.warning("%s: %s", subject, body.splitlines()[0])
    if not has_channels(config):
        raise NobodyToNotify(f"circuit breaker at level {level} ({data.headline.breaker_state}), but no channel is "
                             "configured to hear of it: set notifications.email or reports.recipients (or a "
                             "notifications.slack_conn_id / discord_conn_id / telegram_conn_id)")
    sent = notify_channels(config, subject, body, send_email, chat_message,
                           failure=f"circuit breaker at level {level}")
    log.info("circuit breaker at level %s notified: %s", level, ", ".join(s["channel"] for s in sent))
    return sent


def notify_channels(config: PeakTradeConfig, subject: str, body: str, send_email: SendEmail,
                    chat_message: ChatMessage, failure: str | None = None) -> list[dict]:
    """`subject` and `body` to every configured channel (email, chat); returns what went where (no secrets).

    No channel configured: nothing is sent ([]). Every channel is tried; a channel that fails is
    named in one error (prefixed by `failure`, default the subject) after the others have been sent.
    """
    addresses = notification_addresses(config)
    # Prepare every chat message first: a missing provider is a config error before anything is sent.
    chats = [(key, conn_id, chat_message(key, conn_id, f"{subject}\n{body}"))
             for key, conn_id in chat_channels(config)]
    sent, failed, transient = [], [], False
    if addresses:
        key = "notifications.email" if config.notifications.email is not None else "reports.recipients"
        message = compose_alert(subject, body, config.reports.sender, addresses, key=key)
        try:
            result = send_email(message, config.reports.smtp_conn_id)
            sent.append({"channel": "email", "conn_id": config.reports.smtp_conn_id, "to": result["to"],
                         "subject": result["subject"]})
        except Exception as exc:  # the other channels still go
            transient |= not isinstance(exc, PeakTradeError)
            failed.append(f"email through {config.reports.smtp_conn_id!r}: {type(exc).__name__}: {exc}")
    for key, conn_id, send in chats:
        channel = key.removesuffix("_conn_id")
        try:
            send()
            sent.append({"channel": channel, "conn_id": conn_id, "subject": subject})
        except Exception as exc:
            transient |= not isinstance(exc, PeakTradeError)
            failed.append(f"{channel} through {conn_id!r}: {type(exc).__name__}: {exc}")
    if failed:
        problem = (f"{failure or subject}: could not notify " + "; ".join(failed)
                   + (f" (sent: {', '.join(s['channel'] for s in sent)})" if sent else ""))
        # A server that was down may be up on the task's retry (the channels that worked hear twice).
        raise (NotificationFailed if transient else ReportDeliveryError)(problem)
    return sent
