"""Benchmark: the venue order path on the loopback Binance emulator (tests/emulator/), no network.

* round trip: submit -> fill -> ledger for ORDERS market orders, one at a time, through
  include.execution.submit.submit with a SQLite ledger and CcxtBroker (the unmodified ccxt.binance):
  the ledger write-ahead, the signed HTTP request, the venue's FULL answer with its fills, and the
  order's events and fills written back. Median and p99 per order, no faults.
* rebalance: a full rebalance of SYMBOLS markets from cash to equal weights (the steps of
  tests/execution/fault_sequences.py: the desk's functions reconcile, positions, targets, orders, risk, execute, track fills,
  reconcile), REPEATS times with no faults and REPEATS times with FAULTED_SHARE of requests faulted
  (each repeat its own fault seed). Reported: wall time per rebalance (median, max), requests, how the
  runs ended, and the faults injected by kind.

The client's retry backoff is not slept through (the broker's sleep is injected), so a fault costs its
extra requests and, for a lost answer, the client's timeout (TIMEOUT_MS). A 418 ban is left out of
the faulted mix: it stops trading by design, and a stopped rebalance measures nothing.
"""
from __future__ import annotations

import statistics
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from include.execution.ledger import Ledger
from include.execution.orders import make_order
from include.execution.reconcile import reconcile
from include.execution.submit import submit
from tests.emulator import TWENTY_MARKETS
from tests.execution.fault_sequences import (INVESTED, TIMEOUT_MS, FaultSequence, RunPlan, ledger_dir,
                                             run_sequence, sequence_venue)

ORDERS = 1000
REPEATS = 5
SYMBOLS = tuple(spec.symbol for spec in TWENTY_MARKETS)
PRICES = {
    "BTC/USDT": "50000", "ETH/USDT": "2500", "SOL/USDT": "150", "XRP/USDT": "0.5", "DOGE/USDT": "0.1",
    "BNB/USDT": "600", "ADA/USDT": "0.45", "AVAX/USDT": "30", "LINK/USDT": "15", "DOT/USDT": "6.5",
    "LTC/USDT": "80", "TRX/USDT": "0.12", "ATOM/USDT": "8", "UNI/USDT": "9", "XLM/USDT": "0.1",
    "ETC/USDT": "25", "NEAR/USDT": "5", "FIL/USDT": "5", "APT/USDT": "9", "BCH/USDT": "400",
}
CASH = {"USDT": "100000"}
FAULTED_SHARE = 0.10
# Response faults, one per request at most, drawn in this order: 1 - 0.974^4 = 10.0% of requests.
FAULT_RATES = {"lost_response": 0.026, "unknown_1007": 0.026, "rate_limit_429": 0.026, "server_5xx": 0.026,
               "partial_fill": 0.05, "not_found_lag": 0.05, "late_fill_after_cancel": 0.05}


def round_trips(workdir: Path) -> dict:
    with sequence_venue(balances={"USDT": "1000000", "BTC": "10"}) as venue:
        ledger = Ledger(workdir / "round-trip.sqlite")
        try:
            reconcile(ledger, venue.broker, account=venue.account)   # first contact: the opening balances
            seconds = []
            for n in range(ORDERS):
                order = make_order(f"bench-{n}", "BTC/USDT", "buy" if n % 2 == 0 else "sell", "0.001",
                                   arrival_price=50_000)
                t0 = time.perf_counter()
                record = submit(ledger, venue.broker, order, account=venue.account)
                seconds.append(time.perf_counter() - t0)
                if record.status.value != "filled" or record.filled != Decimal("0.001"):
                    raise RuntimeError(f"order {n} ended {record.status.value} with {record.filled} filled")
            fills = len(ledger.fills())
        finally:
            ledger.close()
    ms = sorted(s * 1000 for s in seconds)
    return {"orders": ORDERS, "fills_in_ledger": fills, "median_ms": round(statistics.median(ms), 2),
            "p99_ms": round(ms[int(0.99 * len(ms)) - 1], 2), "max_ms": round(ms[-1], 2),
            "orders_per_s": round(ORDERS / sum(seconds), 1)}


def rebalances() -> dict:
    weights = tuple((s, INVESTED / len(SYMBOLS)) for s in SYMBOLS)
    plan = RunPlan(weights, "market", tuple((s, 0) for s in SYMBOLS))
    out = {}
    with sequence_venue(markets=TWENTY_MARKETS, symbols=SYMBOLS, balances=CASH, prices=PRICES) as venue:
        for label, rates in (("no_faults", {}), ("faulted_10pct", FAULT_RATES)):
            walls, requests, faults, runs, accepted, failures, problems = [], [], Counter(), Counter(), [], Counter(), []
            for repeat in range(REPEATS):
                sequence = FaultSequence(seed=repeat, rates=tuple(rates.items()), kill_switch=(), crashes=(),
                                         runs=(plan,))
                t0 = time.perf_counter()
                outcome = run_sequence(venue, sequence)
                walls.append(outcome.run_seconds[0])
                requests.append(sum(outcome.requests.values()))
                faults.update(outcome.faults)
                runs.update(outcome.runs)
                failures.update(outcome.step_failures)
                accepted.append(outcome.orders_accepted)
                problems += outcome.problems
                print(f"  {label} #{repeat}: {outcome.run_seconds[0]:.2f} s, {requests[-1]} requests, "
                      f"{outcome.orders_accepted} orders, {outcome.runs[0]}, faults {outcome.faults} "
                      f"({time.perf_counter() - t0:.1f} s with the final checks)")
            response_faults = sum(v for k, v in faults.items() if k in
                                  ("lost_response", "unknown_1007", "rate_limit_429", "server_5xx"))
            out[label] = {
                "repeats": REPEATS, "seconds_median": round(statistics.median(walls), 3),
                "seconds_max": round(max(walls), 3), "requests_median": statistics.median(requests),
                "orders_accepted_median": statistics.median(accepted), "runs": dict(runs),
                "faults_by_kind": dict(sorted(faults.items())),
                "requests_faulted_share": round(response_faults / sum(requests), 4) if rates else 0.0,
                "task_retries_by_exception": dict(failures), "invariant_problems": problems,
            }
    return out


def run(tmp: Path) -> dict:
    with ledger_dir() as workdir:
        trip = round_trips(workdir)
        print(f"  round trip: median {trip['median_ms']} ms, p99 {trip['p99_ms']} ms over {ORDERS} orders")
        rebalance = rebalances()
    return {
        "parameters": {"orders": ORDERS, "symbols": len(SYMBOLS), "repeats": REPEATS, "client_timeout_ms": TIMEOUT_MS,
                       "faulted_share": FAULTED_SHARE, "fault_rates": FAULT_RATES,
                       "ledger": "SQLite (in /dev/shm where available)", "client": "ccxt.binance via CcxtBroker",
                       "backoff_slept": False},
        "round_trip": trip,
        "rebalance_20_symbols": rebalance,
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    trip, reb = payload["round_trip"], payload["rebalance_20_symbols"]
    clean, faulted = reb["no_faults"], reb["faulted_10pct"]
    return [
        ("venue: submit -> fill -> ledger", f"{trip['median_ms']:.1f} ms median",
         f"p99 {trip['p99_ms']:.1f} ms over {trip['orders']:,} market orders (SQLite ledger, ccxt.binance, emulator)"),
        ("venue: rebalance 20 symbols, no faults", f"{clean['seconds_median']:.2f} s",
         f"median of {clean['repeats']}, {clean['requests_median']} requests, {clean['orders_accepted_median']} orders"),
        ("venue: rebalance 20 symbols, 10% faulted", f"{faulted['seconds_median']:.2f} s",
         f"median of {faulted['repeats']} (max {faulted['seconds_max']:.2f} s), {faulted['requests_faulted_share']:.1%} "
         f"of requests faulted: " + ", ".join(f"{k} {v}" for k, v in faulted["faults_by_kind"].items())
         + f"; runs {faulted['runs']}"),
    ]
