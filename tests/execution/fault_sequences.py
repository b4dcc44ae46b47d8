"""Random fault sequences through full rebalances on the emulator, and the invariants that must hold after each.

Shared by tests/execution/test_fault_sequences.py (Hypothesis, in CI) and benchmarks/soak.py (thousands of
seeds). A FaultSequence is drawn through a `Chooser`, so the same generator serves Hypothesis (which can
shrink it) and a plain `random.Random(seed)` (which the soak replays from the seed alone). It holds:

- the emulator's fault plan: a seed and a rate per fault kind (tests/emulator/faults.py);
- a kill-switch schedule: the reads of the switch at which it flips (off at the start);
- crashes: the rebalance process killed between two steps, between two orders, or inside a send
  (after `submitted` is written, or after the venue answered but before the answer is recorded); the
  run resumes by re-running that step with the same run id, as an Airflow task retry does;
- one or two rebalances: target weights from the form's override (no optimiser), an order style
  (market, marketable limit, resting limit) and a price move per symbol while the orders work.

The rebalance is the rebalance DAG's task sequence, each step a call of include.execution.desk (the
functions the DAG's tasks call): reconcile_desk -> load_positions -> compute_targets (the form's
target_weights) -> build_orders -> check_risk -> execute_orders -> track_fills -> reconcile_desk 'end',
on a venue account `execution.venues.emu_soak` (sandbox, no approval, api_url the emulator) of a config
file and data dir in a temporary folder. Each step reopens the desk (config settings, the account's
SQLite ledger, the CcxtBroker with the unmodified ccxt.binance), as a task in its own process does;
the broker is wrapped (DeskAccount's BrokerOptions.wrap) to die inside a planned send. A step that
raises is retried up to TASK_RETRIES times; a kill switch that blocked orders ends the run.

After the runs, faults off, reconciliation is repeated until it completes, then `check_invariants`:
1. no client order id was processed twice by the venue;
2. every order the venue accepted is in the ledger (by client order id and venue id, or adopted as
   external by venue id);
3. the ledger equals the venue: balances per currency exactly, holdings (opening balance + fills) per
   symbol, filled amount per order, open or closed;
4. no create request reached the venue while the kill switch was on (time.monotonic in both).
"""
from __future__ import annotations

import functools
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Protocol

from include.checked_config import load_checked_config
from include.config.loader import DATA_DIR_ENV, data_dir
from include.execution import desk
from include.execution.ccxt_broker import open_ccxt_broker
from include.execution.credentials import Credentials
from include.execution.desk_account import BrokerOptions, DeskAccount
from include.execution.errors import ReconciliationError
from include.execution.ledger import Ledger, open_ledger
from include.execution.markets import Markets
from include.execution.settings import LEDGER_URL_ENV, VenueAccount, execution_settings
from include.execution.state_machine import OPEN
from include.paths import DataPaths
from tests.emulator import FaultPlan, running_emulator
from tests.emulator.faults import KINDS, PRIVATE_ENDPOINTS

API_KEY, SECRET = "soak-api-key-0123456789", "soak-secret-0123456789abcdef"
CREDENTIALS = Credentials(API_KEY, SECRET)
ACCOUNT = "emu_soak"
SYMBOLS = ("BTC/USDT", "ETH/USDT", "XRP/USDT")   # three step grids (0.00001, 0.0001, 0.1); few requests per run
PRICES = {"BTC/USDT": "50000", "ETH/USDT": "2500", "XRP/USDT": "0.5"}
BALANCES = {"USDT": "10000", "BTC": "0.05", "ETH": "1"}
QUOTE = "USDT"
INVESTED = Decimal("0.9")          # target weights sum to this: cash left for fees and rounding
LIMIT_OFFSET = Decimal("0.002")    # a limit 0.2% through the price fills at once; 0.2% away rests
MOVE = Decimal("0.003")            # a price move while orders work: crosses a resting limit
TIMEOUT_MS = 60                   # the client gives up on a held-back answer after this ...
LOST_DELAY_S = 0.1                 # ... the emulator holds a lost answer back this long
TASK_RETRIES = 4                   # an Airflow task's retries
FINAL_RECONCILIATIONS = 12         # faults off: until a not-found lag (at most 4 queries) clears
FAULTED_ENDPOINTS = PRIVATE_ENDPOINTS + ("ticker",)

STEPS = ("reconcile_start", "load_positions", "compute_targets", "build_orders", "check_risk",
         "execute_orders", "track_fills", "reconcile_end")
RATES = (0.0, 0.02, 0.05, 0.1, 0.2)
LOST_RATES = (0.0, 0.02, 0.05)     # each lost answer costs a client timeout: kept rarer
ORDER_STYLES = ("market", "limit_marketable", "limit_resting")
CRASH_KINDS = ("after_step", "at_switch_read", "before_send", "after_send")
MAX_SWITCH_READ = 24               # reads per run: one per order in check_risk and one before each send
MAX_SEND = 10


# -- the sequence ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crash:
    """Where the process dies (once). after_step: `step` of run `run` did its work, its result is not
    saved; at_switch_read: at the kill switch's read number `at` (between two orders); before_send /
    after_send: the `at`-th create_order, after `submitted` was written / after the venue answered."""
    kind: str
    at: int = 0
    step: str = ""
    run: int = 0


@dataclass(frozen=True)
class RunPlan:
    weights: tuple[tuple[str, Decimal], ...]   # target weights (the form's override)
    style: str
    moves: tuple[tuple[str, int], ...]          # price move per symbol while orders work: -1, 0, +1


@dataclass(frozen=True)
class FaultSequence:
    seed: int
    rates: tuple[tuple[str, float], ...]
    kill_switch: tuple[int, ...]   # switch reads at which it flips
    crashes: tuple[Crash, ...]
    runs: tuple[RunPlan, ...]

    def fault_plan(self) -> FaultPlan:
        return FaultPlan(seed=self.seed, rates=dict(self.rates), endpoints=FAULTED_ENDPOINTS,
                         lost_delay_s=LOST_DELAY_S)


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...

    def choice(self, options: Sequence): ...


class RandomChooser:
    """Choices from random.Random(seed): a sequence replayed from its seed alone (the soak)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence):
        return self.rng.choice(list(options))


class HypothesisChooser:
    """Choices drawn by Hypothesis (which shrinks them towards the first option and the low end)."""

    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        from hypothesis import strategies as st

        return self.draw(st.integers(lo, hi))

    def choice(self, options: Sequence):
        from hypothesis import strategies as st

        return self.draw(st.sampled_from(list(options)))


def compose(choose: Chooser) -> FaultSequence:
    seed = choose.integer(0, 2**32 - 1)
    rates = tuple((kind, choose.choice(LOST_RATES if kind == "lost_response" else RATES)) for kind in KINDS)
    flips = tuple(sorted({choose.integer(0, MAX_SWITCH_READ) for _ in range(choose.integer(0, 3))}))
    runs = tuple(_run_plan(choose) for _ in range(choose.integer(1, 2)))
    crashes = tuple(_crash(choose, len(runs)) for _ in range(choose.integer(0, 2)))
    return FaultSequence(seed, rates, flips, crashes, runs)


def _run_plan(choose: Chooser) -> RunPlan:
    shares = [choose.integer(0, 3) for _ in SYMBOLS]
    total = sum(shares)
    weights = tuple((s, INVESTED * n / total if total else Decimal(0)) for s, n in zip(SYMBOLS, shares))
    return RunPlan(weights, choose.choice(ORDER_STYLES), tuple((s, choose.choice((0, -1, 1))) for s in SYMBOLS))


def _crash(choose: Chooser, runs: int) -> Crash:
    kind = choose.choice(CRASH_KINDS)
    if kind == "after_step":
        return Crash(kind, step=choose.choice(STEPS), run=choose.integer(0, runs - 1))
    return Crash(kind, at=choose.integer(0, MAX_SWITCH_READ if kind == "at_switch_read" else MAX_SEND))


def sequence_from_seed(seed: int) -> FaultSequence:
    """The soak's sequence number `seed` (the same on every machine and run)."""
    return compose(RandomChooser(seed))


def fault_sequences():
    """The Hypothesis strategy of FaultSequences."""
    from hypothesis import strategies as st

    return st.composite(lambda draw: compose(HypothesisChooser(draw)))()


# -- the process: crashes, the kill switch ----------------------------------------------------------------

class Crashed(BaseException):
    """The process died here. A BaseException, like SystemExit: no `except Exception` in the code under test
    may turn it into an order outcome."""


class Crashes:
    def __init__(self, crashes: Sequence[Crash]):
        self.pending = list(crashes)
        self.fired: list[Crash] = []
        self.sends = 0   # create_order calls so far, across the steps (before_send / after_send count these)

    def maybe(self, kind: str, *, at: int = 0, step: str = "", run: int = 0) -> None:
        for crash in self.pending:
            if crash.kind == kind and crash.at == at and crash.step == step and crash.run == run:
                self.pending.remove(crash)
                self.fired.append(crash)
                raise Crashed(f"{kind} {step or at}")


class ScheduledKillSwitch:
    """The kill switch as the desk reads it: flips at the scheduled reads; each flip time-stamped with
    time.monotonic (the emulator stamps create requests with the same clock)."""

    def __init__(self, flips: Sequence[int], crashes: Crashes):
        self.flips, self.crashes = set(flips), crashes
        self.reads, self.on = 0, False
        self.changes: list[tuple[float, bool]] = []

    def __call__(self) -> bool:
        n = self.reads
        self.reads += 1
        self.crashes.maybe("at_switch_read", at=n)
        if n in self.flips:
            self.on = not self.on
            self.changes.append((time.monotonic(), self.on))
        return self.on

    def on_intervals(self) -> list[tuple[float, float]]:
        out, start = [], None
        for stamp, on in self.changes:
            if on:
                start = stamp
            elif start is not None:
                out.append((start, stamp))
                start = None
        if start is not None:
            out.append((start, float("inf")))
        return out


class CrashingBroker:
    """The CcxtBroker each desk step opens (DeskAccount's BrokerOptions.wrap), with the process dying inside a
    planned send; the sends are counted across the steps (Crashes.sends)."""

    def __init__(self, broker, crashes: Crashes):
        self._broker, self._crashes = broker, crashes

    def __getattr__(self, name):
        return getattr(self._broker, name)

    def create_order(self, *args, **kwargs):
        n = self._crashes.sends
        self._crashes.sends += 1
        self._crashes.maybe("before_send", at=n)
        answer = self._broker.create_order(*args, **kwargs)
        self._crashes.maybe("after_send", at=n)
        return answer


# -- the venue and one rebalance ----------------------------------------------------------------------------

CONFIG = """\
data_dir: {data}
universe:
  symbols: [{symbols}]
  timeframes: [1h]
  exchanges: [{{id: sim_alpha, source: sim}}]
history: {{start: {{1h: 1d}}}}
execution:
  venue: sim_alpha
  fill_timeout_s: 0
  risk: {{max_order_notional: 1000000000, max_position_weight: 1, max_daily_turnover: 1000, min_notional: 5}}
  venues:
    {account}: {{exchange: binance, connection_id: {account}, sandbox: true, require_approval: false,
      api_url: '{url}', timeout_ms: {timeout_ms}, lost_after_queries: 3, query_interval_s: 0, max_retries: 2,
      trades_lookback_hours: 0.25}}
"""


@dataclass
class Venue:
    """The emulator, the desk's config (execution.venues.<ACCOUNT> on it) and data dir, and a CcxtBroker of the
    tests' own (inspection, sends behind the desk's back)."""
    emulator: object
    config: object
    paths: DataPaths
    account: VenueAccount
    broker: object
    symbols: tuple[str, ...] = SYMBOLS
    balances: dict = field(default_factory=lambda: dict(BALANCES))   # each sequence starts from these
    prices: dict = field(default_factory=lambda: dict(PRICES))

    @functools.cached_property
    def rules(self) -> Markets:   # the markets' rounding, for the limit prices of an order style
        return Markets(self.broker.markets)

    def fresh_ledger(self) -> None:
        """The account's ledger removed: the next desk step starts a new one (first contact again)."""
        ledger = self.paths.ledger_for(ACCOUNT)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{ledger}{suffix}").unlink(missing_ok=True)


@contextmanager
def sequence_venue(*, markets=None, symbols=SYMBOLS, balances=None, prices=None) -> Iterator[Venue]:
    """One emulator, config file and data dir for many sequences (the emulator and ledger reset between them).
    The desk reads its data dir from PEAKTRADE_DATA_DIR, set here for the duration (a ledger URL unset)."""
    balances, prices = balances or BALANCES, prices or PRICES
    with running_emulator(markets=markets, balances=balances, prices=prices, api_key=API_KEY,
                          secret=SECRET) as emulator, ledger_dir() as root, _environment(root / "data"):
        path = root / "config.yaml"
        path.write_text(CONFIG.format(data=root / "data", symbols=", ".join(symbols), account=ACCOUNT,
                                      url=emulator.base_url, timeout_ms=TIMEOUT_MS))
        config = load_checked_config(path)
        account = execution_settings(config).venues[ACCOUNT]
        broker = open_ccxt_broker(ACCOUNT, account, CREDENTIALS, symbols, sleep=_no_sleep, backoff_s=0,
                                  rate_limit=False)
        yield Venue(emulator, config, DataPaths(data_dir(config)), account, broker, tuple(symbols), dict(balances),
                    dict(prices))


@contextmanager
def _environment(data: Path) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (DATA_DIR_ENV, LEDGER_URL_ENV)}
    os.environ[DATA_DIR_ENV] = str(data)
    os.environ.pop(LEDGER_URL_ENV, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def ledger_dir() -> Iterator[Path]:
    """A temporary directory, in memory (/dev/shm) where there is one: a ledger commits a few hundred times per
    sequence, and on disk every commit waits for an fsync."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="fault-sequences-", dir=parent) as name:
        yield Path(name)


def _no_sleep(_seconds: float) -> None:
    pass


def styled(plan: dict, style: str, markets: Markets) -> dict:
    """build_orders' answer (XCom) in the run's order style. The desk plans market orders; a limit order is
    LIMIT_OFFSET through the arrival price (marketable) or away from it (resting), on the market's tick, and
    leaves through the same check_risk / execute_orders / track_fills path."""
    if style == "market":
        return plan
    toward = 1 if style == "limit_marketable" else -1
    orders = []
    for o in plan["orders"]:
        through = toward * (1 if o["side"] == "buy" else -1)
        limit = markets.price(o["symbol"], Decimal(o["arrival_price"]) * (1 + through * LIMIT_OFFSET))
        orders.append({**o, "type": "limit", "limit_price": str(limit)})
    return {**plan, "orders": orders}


def rebalance_steps(ctx: Context, run: int, plan: RunPlan) -> dict:
    """The rebalance DAG's tasks for one run, each a call of the desk's function (a fresh desk each time: its
    config, ledger and broker reopened, as in a task's own process) on the earlier steps' results (XCom)."""
    config, account, switch = ctx.venue.config, ctx.account, ctx.switch
    run_id = f"soak-run-{run}"
    form = desk.validate_form(config, {"dry_run": False, "broker": ACCOUNT, "drift_threshold": 0,
                                       "target_weights": {s: float(w) for s, w in plan.weights}})
    markets = ctx.venue.rules
    return {
        "reconcile_start": lambda x: desk.reconcile_desk(config, "start", account),
        "load_positions": lambda x: desk.load_positions(config, form, run_id, account=account),
        "compute_targets": lambda x: desk.compute_targets(config, form, x["load_positions"]),
        "build_orders": lambda x: styled(desk.build_orders(config, run_id, x["load_positions"],
                                                           x["compute_targets"], account), plan.style, markets),
        "check_risk": lambda x: desk.check_risk(config, x["load_positions"], x["build_orders"], switch, account),
        "execute_orders": lambda x: desk.execute_orders(config, x["check_risk"], switch, dry_run=False,
                                                        account=account),
        "track_fills": lambda x: desk.track_fills(config, x["execute_orders"], poll_s=0, account=account),
        "reconcile_end": lambda x: desk.reconcile_desk(config, "end", account),
    }


@dataclass
class Outcome:
    sequence: FaultSequence
    runs: list[str] = field(default_factory=list)        # per run: done, kill_switch, failed at <step>
    run_seconds: list[float] = field(default_factory=list)   # per run: wall time of its steps
    step_failures: Counter = field(default_factory=Counter)  # exception class -> retries caused
    crashes: list[Crash] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)   # per endpoint, during the runs
    kill_switch_flips: int = 0
    orders_accepted: int = 0
    create_requests: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Context:
    """The process as the desk's steps see it: the account (its broker wrapped to die inside a planned send,
    no real sleeps, no ccxt throttle on loopback), the kill switch, the crashes."""

    def __init__(self, venue: Venue, sequence: FaultSequence):
        self.venue = venue
        self.crash = Crashes(sequence.crashes)
        self.switch = ScheduledKillSwitch(sequence.kill_switch, self.crash)
        self.account = DeskAccount(ACCOUNT, CREDENTIALS, BrokerOptions(
            sleep=_no_sleep, backoff_s=0, rate_limit=False, markets=venue.broker.markets,
            wrap=lambda broker: CrashingBroker(broker, self.crash)))

    @contextmanager
    def ledger(self) -> Iterator[Ledger]:
        ledger = open_ledger(None, self.venue.paths, ACCOUNT)
        try:
            yield ledger
        finally:
            ledger.close()

    def reconcile(self, stage: str = "settle") -> dict:
        return desk.reconcile_desk(self.venue.config, stage, self.account)


def run_sequence(venue: Venue, sequence: FaultSequence) -> Outcome:
    """Reset the emulator and the ledger, run the sequence's rebalances, reconcile with faults off, check the
    invariants."""
    emulator = venue.emulator
    emulator.reset(venue.balances, venue.prices, sequence.fault_plan())
    venue.fresh_ledger()
    ctx = Context(venue, sequence)
    outcome = Outcome(sequence)
    for n, plan in enumerate(sequence.runs):
        started = time.perf_counter()
        outcome.runs.append(_run(ctx, n, plan, outcome))
        outcome.run_seconds.append(time.perf_counter() - started)
    outcome.faults, outcome.requests = emulator.fault_counts(), emulator.request_counts()
    emulator.faults = FaultPlan.none()
    outcome.problems += settle(ctx)
    with ctx.ledger() as ledger:
        outcome.problems += check_invariants(emulator, ledger, ctx.switch)
    outcome.crashes = ctx.crash.fired
    outcome.kill_switch_flips = len(ctx.switch.changes)
    requests = emulator.create_requests()
    outcome.create_requests = len(requests)
    outcome.orders_accepted = sum(1 for r in requests if r["accepted"])
    return outcome


def _run(ctx: Context, run: int, plan: RunPlan, outcome: Outcome) -> str:
    xcom: dict = {}
    for step, task in rebalance_steps(ctx, run, plan).items():
        if step == "track_fills":
            _move_prices(ctx.venue.emulator, plan)
        for _attempt in range(TASK_RETRIES + 1):
            try:
                result = task(xcom)
                ctx.crash.maybe("after_step", step=step, run=run)
            except desk.KillSwitchEngaged:
                return "kill_switch"
            except Crashed:
                continue   # the task retry runs in a new process: the desk reopens the same ledger
            except Exception as exc:  # noqa: BLE001 - a failed task: Airflow retries it
                outcome.step_failures[type(exc).__name__] += 1
                continue
            xcom[step] = result
            break
        else:
            return f"failed at {step}"
    return "done"


def _move_prices(emulator, plan: RunPlan) -> None:
    for symbol, move in plan.moves:
        if move:
            spec = emulator.venue.market_by_symbol(symbol)
            price = emulator.price(symbol) * (1 + move * MOVE)
            emulator.set_price(symbol, price.quantize(spec.tick_size, ROUND_HALF_UP))


def settle(ctx: Context) -> list[str]:
    """Faults off: reconcile until it completes (a not-found lag clears after a few queries)."""
    last = None
    for _ in range(FINAL_RECONCILIATIONS):
        try:
            ctx.reconcile()
            return []
        except ReconciliationError as exc:
            last = exc
    return [f"final reconciliation (faults off) did not complete in {FINAL_RECONCILIATIONS} tries: {last}"]


# -- the invariants ----------------------------------------------------------------------------------------

def check_invariants(emulator, ledger: Ledger, switch: ScheduledKillSwitch) -> list[str]:
    """Every violated invariant, one line each (empty: all hold)."""
    problems: list[str] = []
    requests = emulator.create_requests()

    processed = Counter(r["clientOrderId"] for r in requests if r["processed"])
    problems += [f"1 processed twice: client order id {cid} reached order processing {n} times"
                 for cid, n in processed.items() if n > 1]

    records = {r.client_order_id: r for r in ledger.orders()}
    by_venue_id = {r.venue_order_id: r for r in records.values() if r.venue_order_id}
    for r in requests:
        if not r["accepted"]:
            continue
        venue_id, mine = str(r["orderId"]), records.get(r["clientOrderId"])
        if mine is not None and mine.venue_order_id == venue_id:
            continue
        if venue_id in by_venue_id and by_venue_id[venue_id].external:
            continue
        problems.append(f"2 missing from the ledger: accepted order {venue_id} ({r['clientOrderId']}); ledger has "
                        f"{None if mine is None else (mine.status.value, mine.venue_order_id)}")

    ours = {c: v for c, v in ledger.balances().items() if v != 0}
    theirs = {c: v for c, v in emulator.balances().items() if v != 0}
    if ours != theirs:
        problems.append(f"3 balances differ: ledger {_money(ours)} venue {_money(theirs)}")
    opening = Counter()
    for move in ledger.cash_movements():
        opening[move["currency"]] += move["amount"]
    for symbol, held in ledger.holdings().items():   # positions from fills, on top of what the account held
        base = symbol.split("/")[0]
        if opening[base] + held != theirs.get(base, Decimal(0)):
            problems.append(f"3 holdings differ: {symbol} opening {opening[base]} + fills {held} in the ledger, "
                            f"{theirs.get(base, Decimal(0))} {base} on the venue")
    filled = ledger.filled_amounts()
    for order in emulator.orders():
        if processed.get(order["clientOrderId"], 0) > 1:
            continue   # reported under 1
        record = by_venue_id.get(str(order["orderId"]))
        got = filled.get(record.client_order_id, Decimal(0)) if record else None
        if got != order["filled"]:
            problems.append(f"3 fills differ: venue order {order['orderId']} ({order['clientOrderId']}) filled "
                            f"{order['filled']} on the venue, {got} in the ledger")
        elif record is not None and (record.status in OPEN) != (order["status"] in ("NEW", "PARTIALLY_FILLED")):
            problems.append(f"3 status differs: venue order {order['orderId']} is {order['status']} on the venue, "
                            f"{record.status.value} in the ledger")

    for start, end in switch.on_intervals():
        problems += [f"4 sent while the kill switch was on: {r['clientOrderId']} at {r['time']:.6f} "
                     f"(switch on {start:.6f}..{end:.6f})" for r in requests if start <= r["time"] < end]
    return problems


def _money(values: dict) -> str:
    return "{" + ", ".join(f"{c}: {v}" for c, v in sorted(values.items())) + "}"


def describe(outcome: Outcome) -> str:
    s = outcome.sequence
    rates = {k: v for k, v in s.rates if v}
    return (f"seed {s.seed}: runs {outcome.runs}; fault rates {rates}; faults {outcome.faults}; "
            f"kill switch flips at reads {list(s.kill_switch)}; crashes {[c for c in s.crashes]} "
            f"(fired {len(outcome.crashes)}); step failures {dict(outcome.step_failures)}")

