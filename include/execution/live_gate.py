"""Who may send orders to a venue account: the approval rule and the live gate, in one place.

An account with `sandbox: false` trades real money (live). A live run needs all three:
(a) the account's `live: true` in the config (armed by whoever owns the config),
(b) the form's `live_venue` equal to the broker's name (armed by whoever triggers the run),
(c) a person's approval of the orders: the approval task's answer is Approve, given by one of
    the account's `approvers`.
(a) and (b) are known when a run starts, so its first task checks them and the run fails at once;
(c) is checked again immediately before any order leaves, so a mis-wired DAG or a cleared task
cannot send unapproved orders. The refusal names every missing condition.

`approval` is the approval task's result (the HITL response): {"chosen_options": [...],
"responded_by_user": {"id": ..., "name": ...}, ...}, or None when there was none.
"""
from __future__ import annotations

from include.execution.errors import ExecutionError

PAPER = "paper"
APPROVE = "Approve"


class LiveTradingRefused(ExecutionError):
    """A run on a venue account lacks what it needs to send orders (the message names each missing item)."""


def is_live(account) -> bool:
    return account is not None and not account.sandbox


def approval_needed(account, *, dry_run: bool = False, orders: int = 1) -> bool:
    """Does a person have to approve before orders leave? Paper, a dry run or nothing to send: no; a sandbox
    account with require_approval false: no; otherwise (every live account, every other sandbox) yes."""
    if account is None or dry_run or orders == 0:
        return False
    return is_live(account) or account.require_approval


def responder(approval: dict | None) -> str | None:
    """The id of the user who answered, or None."""
    user = (approval or {}).get("responded_by_user") or {}
    return user.get("id") if isinstance(user, dict) else None


def approved(approval: dict | None) -> bool:
    return (approval or {}).get("chosen_options") == [APPROVE]


def approval_problem(name: str, account, approval: dict | None) -> str | None:
    """Why `approval` does not let orders leave on `name`, or None when it does."""
    if not account.approvers:
        return f"execution.venues.{name}.approvers is empty: nobody may approve its orders"
    if approval is None:
        return "nobody approved the orders (no answer from the approval task)"
    if not approved(approval):
        return f"the orders were not approved (answer {approval.get('chosen_options')!r} by {responder(approval)!r})"
    if responder(approval) not in account.approvers:
        return (f"the approval came from {responder(approval)!r}, who is not an approver of {name} "
                f"(execution.venues.{name}.approvers: {', '.join(account.approvers)})")
    return None


def live_gate_problems(name: str, account, live_venue: str | None, approval: dict | None, *,
                       check_approval: bool = True) -> list[str]:
    """The missing conditions of a live run on `name` (empty: armed). check_approval False: (a) and (b) only."""
    if not is_live(account):
        return []
    missing = []
    if not account.live:
        missing.append(f"(a) execution.venues.{name}.live is not true")
    if (live_venue or "") != name:
        missing.append(f"(b) the form's live_venue is {live_venue or ''!r}, not the broker's name {name!r}")
    if check_approval:
        problem = approval_problem(name, account, approval)
        if problem:
            missing.append(f"(c) {problem}")
    return missing


def check_live_gate(name: str, account, live_venue: str | None, approval: dict | None = None, *,
                    check_approval: bool = True) -> None:
    """Raise LiveTradingRefused naming each missing condition of a live run; a sandbox account passes."""
    missing = live_gate_problems(name, account, live_venue, approval, check_approval=check_approval)
    if missing:
        raise LiveTradingRefused(f"live trading on {name} refused (real money): " + "; ".join(missing)
                                 + ". A live run needs the account's live: true, the form's live_venue set to "
                                 "the broker's name and an approver's Approve")


def check_before_sending(name: str, account, live_venue: str | None, approval: dict | None) -> None:
    """Immediately before orders leave a venue account: the live gate in full, and for an account that
    requires approval (sandbox too) an approver's Approve."""
    check_live_gate(name, account, live_venue, approval)
    if approval_needed(account):
        problem = approval_problem(name, account, approval)
        if problem:
            raise LiveTradingRefused(f"orders on {name} refused: {problem}")
