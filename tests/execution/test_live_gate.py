"""The live gate: a run on a live account needs (a) live: true, (b) the form's live_venue = the broker's name,
(c) an approver's Approve; the refusal names exactly the missing ones."""
from itertools import product

import pytest

from include.execution.live_gate import (LiveTradingRefused, approval_needed, check_before_sending, check_live_gate,
                                         live_gate_problems)
from include.execution.settings import VenueAccount

NAME = "binance_live"


def account(*, live=True, sandbox=False, require_approval=True, approvers=("alice",)):
    return VenueAccount(exchange="binance", connection_id="binance_live", sandbox=sandbox, live=live,
                        require_approval=require_approval, approvers=list(approvers))


def answer(option="Approve", user="alice"):
    return {"chosen_options": [option], "params_input": {}, "responded_by_user": {"id": user, "name": user}}


@pytest.mark.parametrize("armed, typed, approved", list(product([True, False], repeat=3)))
def test_every_combination_names_exactly_the_missing_conditions(armed, typed, approved):
    acc = account(live=armed)
    live_venue = NAME if typed else ""
    approval = answer() if approved else None
    missing = live_gate_problems(NAME, acc, live_venue, approval)
    assert [m[:3] for m in missing] == [tag for tag, ok in (("(a)", armed), ("(b)", typed), ("(c)", approved))
                                        if not ok]
    if missing:
        with pytest.raises(LiveTradingRefused) as refused:
            check_live_gate(NAME, acc, live_venue, approval)
        text = str(refused.value)
        assert f"live trading on {NAME} refused" in text
        for tag, ok in (("(a)", armed), ("(b)", typed), ("(c)", approved)):
            assert (tag in text) is not ok, tag
    else:
        check_live_gate(NAME, acc, live_venue, approval)
        check_before_sending(NAME, acc, live_venue, approval)


def test_the_messages_say_what_is_wrong():
    missing = live_gate_problems(NAME, account(live=False), "binance", None)
    assert missing[0] == f"(a) execution.venues.{NAME}.live is not true"
    assert missing[1] == f"(b) the form's live_venue is 'binance', not the broker's name '{NAME}'"
    assert missing[2] == "(c) nobody approved the orders (no answer from the approval task)"


@pytest.mark.parametrize("approval, reason", [
    (answer("Reject"), "were not approved (answer ['Reject'] by 'alice')"),
    (answer(user="mallory"), "came from 'mallory', who is not an approver of binance_live"),
    ({"chosen_options": ["Approve", "Reject"], "responded_by_user": {"id": "alice"}}, "were not approved"),
])
def test_an_approval_counts_only_as_approve_by_an_approver(approval, reason):
    with pytest.raises(LiveTradingRefused, match=r"\(c\) the (orders|approval) " + reason.split(" (")[0][:10]):
        check_live_gate(NAME, account(), NAME, approval)
    assert reason in live_gate_problems(NAME, account(), NAME, approval)[0]


def test_the_first_task_checks_a_and_b_only():
    check_live_gate(NAME, account(), NAME, None, check_approval=False)
    with pytest.raises(LiveTradingRefused, match=r"\(b\)") as refused:
        check_live_gate(NAME, account(), "", None, check_approval=False)
    assert "(c)" not in str(refused.value)


def test_a_sandbox_account_is_not_live_but_its_approval_is_still_checked_before_sending():
    sandbox = account(live=False, sandbox=True)
    assert live_gate_problems(NAME, sandbox, "", None) == []
    with pytest.raises(LiveTradingRefused, match="nobody approved"):
        check_before_sending(NAME, sandbox, "", None)
    check_before_sending(NAME, sandbox, "", answer())
    unattended = account(live=False, sandbox=True, require_approval=False)
    check_before_sending(NAME, unattended, "", None)


def test_who_needs_an_approval():
    assert not approval_needed(None)  # paper
    assert not approval_needed(account(live=False, sandbox=True, require_approval=False))
    assert approval_needed(account(live=False, sandbox=True))
    assert approval_needed(account())
    assert not approval_needed(account(), dry_run=True)
    assert not approval_needed(account(), orders=0)
