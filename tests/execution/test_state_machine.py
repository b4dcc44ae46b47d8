"""The transition table: every legal transition applies, every other pair raises."""
import itertools

import pytest

from include.execution.errors import IllegalTransition
from include.execution.state_machine import (
    TRANSITIONS, OrderStateMachine, OrderStatus, check_transition, from_ccxt,
)

LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a, b in itertools.product(OrderStatus, OrderStatus) if b not in TRANSITIONS[a]]


def test_the_table_covers_every_status_with_the_documented_transitions():
    assert set(TRANSITIONS) == set(OrderStatus)
    # legal targets per state, counted by hand from docs/execution.md's "Order states" table
    documented = {"new": 3, "submitted": 8, "accepted": 5, "partially_filled": 5, "pending_cancel": 5,
                  "cancelled": 2, "expired": 2, "unknown": 8, "lost": 7, "filled": 0, "rejected": 0}
    assert {state.value: len(targets) for state, targets in TRANSITIONS.items()} == documented


@pytest.mark.parametrize(("from_", "to"), LEGAL, ids=[f"{a.value}->{b.value}" for a, b in LEGAL])
def test_legal_transition_applies(from_, to):
    machine = OrderStateMachine("pt-abc", from_)
    assert machine.apply(to) is to and machine.status is to
    assert machine.history == [from_, to]


@pytest.mark.parametrize(("from_", "to"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_illegal_transition_raises_naming_order_from_and_to(from_, to):
    machine = OrderStateMachine("pt-abc", from_)
    with pytest.raises(IllegalTransition, match=f"order pt-abc: illegal transition {from_.value} -> {to.value}"):
        machine.apply(to)
    assert machine.status is from_


@pytest.mark.parametrize("after", [OrderStatus.CANCELLED, OrderStatus.PENDING_CANCEL])
def test_late_fills_after_a_cancel_are_applied(after):
    machine = OrderStateMachine("pt-late", after)
    machine.apply("partially_filled")
    machine.apply("filled")
    assert machine.status is OrderStatus.FILLED


def test_final_states_name_no_legal_target_and_unknown_names_are_refused():
    with pytest.raises(IllegalTransition, match="legal from filled: none"):
        check_transition("pt-x", "filled", "cancelled")
    with pytest.raises(IllegalTransition, match="order status 'done' is unknown; valid: new, submitted"):
        check_transition("pt-x", "new", "done")


def test_ccxt_statuses_map():
    assert from_ccxt({"status": "open", "filled": 0}) is OrderStatus.ACCEPTED
    assert from_ccxt({"status": "open", "filled": 0.5}) is OrderStatus.PARTIALLY_FILLED
    assert from_ccxt({"status": "closed", "filled": 1}) is OrderStatus.FILLED
    assert from_ccxt({"status": "canceled"}) is OrderStatus.CANCELLED
    with pytest.raises(IllegalTransition, match="venue status 'weird'"):
        from_ccxt({"status": "weird", "id": "9"})
