"""The desk's actions as plain functions: each step of a rebalance, flatten and the risk monitor.

Each function reopens the desk (the ledger at execution.ledger_url or DataPaths.ledger, the
paper venue's saved state under the desk lock) and takes and returns small JSON-able dicts,
so each can be an Airflow task (operators/execution_tasks.py) and a cleared task re-runs alone.
`account` picks a venue account of execution.venues instead of the paper venue
(include.execution.desk_account: its markets, prices and ledger; credentials handed in);
before orders leave one, include.execution.live_gate decides whether they may.

Rebalance: reconcile (fails closed) -> load_positions (breaker evaluated: level 3 refuses)
-> compute_targets -> build_orders (the preview) -> check_risk -> submit_orders (dry run:
nothing) -> track_fills -> reconcile -> publish -> summarise. Every order leaves through
`execute_orders`: write-ahead in the ledger (include.execution.submit), deterministic client
ids from the run id (a cleared task finds its orders instead of sending twice), and the kill
switch read immediately before each order. Prices: include.execution.prices (arrival price =
the latest validated candle's open); a venue account's: its tickers' last price.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import ccxt

from include.config.loader import data_dir
from include.errors import ConfigError, PeakTradeError, closest
from include.execution import breaker, pnl
from include.execution.desk_account import PAPER_ACCOUNT, DeskAccount, broker_names, venue_account, venue_candles, venue_lock
from include.execution.errors import ExecutionError, ReconciliationError
from include.execution.ledger import DeskRun, Ledger, now_ms
from include.execution.live_gate import approved, check_before_sending, check_live_gate, responder
from include.execution.markets import Markets
from include.execution.orders import OrderIntent
from include.execution.reconcile import reconcile
from include.execution.risk_rules import (CircuitBreaker, KillSwitch, MaxDailyTurnover, MaxOrderNotional,
                                          MaxPositionWeight, MinNotional, Rejection, RiskState, check_orders)
from include.execution.settings import ExecutionSettings, execution_settings
from include.execution.state_machine import OPEN, OrderStatus
from include.execution.submit import cancel, record_venue_order, submit
from include.execution.targets import plan_orders, target_quantities
from include.paths import DataPaths

log = logging.getLogger(__name__)

KillSwitchLookup = Callable[[], bool]
PAPER_VENUE_ID = "paper"  # the ledger's venue for paper orders; priced by execution.venue's candles
BALANCE_TOLERANCE = Decimal("1e-6")  # the paper venue keeps floats, the ledger exact decimals


class KillSwitchEngaged(ExecutionError):
    """The kill switch blocked orders that were about to leave."""


class BreakerHalt(ExecutionError):
    """The circuit breaker is at level 3: rebalances refuse."""


# -- opening the desk ---------------------------------------------------------------------------------

@dataclass
class Desk:
    config: object
    settings: ExecutionSettings
    paths: DataPaths
    ledger: Ledger
    markets: dict
    account: DeskAccount = PAPER_ACCOUNT
    venue: object | None = None   # the VenueAccount settings; None for paper
    client: object | None = None  # the venue account's broker (include.execution.ccxt_broker); None for paper

    @functools.cached_property
    def rules(self) -> Markets:  # built once per desk: Markets holds a ccxt client of its own for the rounding
        return Markets(self.markets)

    def close(self) -> None:
        self.ledger.close()
        if self.client is not None and hasattr(self.client, "close"):
            self.client.close()


def open_desk(config, account: DeskAccount = PAPER_ACCOUNT) -> Desk:
    """The paper desk (markets of execution.venue, the paper ledger), or a venue account: its markets loaded
    from the venue through the ccxt broker with the given credentials, and the account's own ledger."""
    settings = execution_settings(config)
    paths = DataPaths(data_dir(config))
    venue = venue_account(settings, account.name)
    if venue is None:
        from include.sources.factory import make_client

        markets = make_client(config, settings.venue).load_markets()
        where, client = settings.venue, None
    else:
        from include.execution.ccxt_broker import open_ccxt_broker

        options = account.broker_options
        client = open_ccxt_broker(account.name, venue, account.credentials, settings.symbols, sleep=options.sleep,
                                  backoff_s=options.backoff_s, rate_limit=options.rate_limit,
                                  markets=options.markets)
        if options.wrap is not None:
            client = options.wrap(client)
        markets, where = client.markets, f"{account.name} ({venue.exchange})"
    missing = [s for s in settings.symbols if s not in markets]
    if missing:
        raise ConfigError(f"execution.symbols: {missing} are not markets of {where}")
    if venue is None:
        ledger = Ledger(settings.ledger_url or paths.ledger)
    else:
        from include.execution.ledger import open_ledger

        ledger = open_ledger(settings.ledger_url, paths, account.name)
    return Desk(config, settings, paths, ledger, {s: markets[s] for s in settings.symbols}, account, venue, client)


@contextmanager
def desk(config, account: DeskAccount = PAPER_ACCOUNT) -> Iterator[Desk]:
    opened = open_desk(config, account)
    try:
        yield opened
    finally:
        opened.close()


def prices_of(d: Desk, symbols) -> dict:
    """Arrival prices and marks: the paper desk's from the validated candles, a venue account's own last prices."""
    if d.client is not None:
        return venue_candles(d.client, symbols)
    from include.execution.prices import latest_candles

    return latest_candles(d.paths.raw, d.settings.venue, symbols, d.config.universe.timeframes)


@contextmanager
def broker(d: Desk, save: bool = True):
    """The account's broker under its lock. Paper: the paper venue with the latest candles, its first opening
    deposits the cash. A venue account: its ccxt broker, under the account's own lock."""
    if d.client is not None:
        from include.landing.store import file_lock

        with file_lock(venue_lock(d.paths, d.account.name)):
            yield d.client
        return
    from include.execution.paper_venue import open_paper_venue

    candles = prices_of(d, d.settings.symbols)
    cash = {d.settings.quote: d.settings.paper.initial_cash}
    with open_paper_venue(d.paths, d.markets, cash, candles, venue_id=PAPER_VENUE_ID, save=save) as (venue, created):
        if created:
            d.ledger.record_cash(d.settings.quote, d.settings.paper.initial_cash, kind="deposit",
                                 reference="paper desk initial cash")
        yield venue


# -- serialising orders through XCom ------------------------------------------------------------------

def order_dict(order: OrderIntent) -> dict:
    return {"client_order_id": order.client_order_id, "symbol": order.symbol, "side": order.side,
            "type": order.type, "amount": str(order.amount),
            "limit_price": None if order.limit_price is None else str(order.limit_price),
            "arrival_price": None if order.arrival_price is None else str(order.arrival_price),
            "reason": order.reason, "leg": order.leg, "run_id": order.run_id}


def order_from(data: dict) -> OrderIntent:
    return OrderIntent(data["client_order_id"], data["symbol"], data["side"], data["type"], Decimal(data["amount"]),
                       None if data["limit_price"] is None else Decimal(data["limit_price"]),
                       None if data["arrival_price"] is None else Decimal(data["arrival_price"]),
                       data["reason"], data["leg"], data["run_id"])


def rejection_dict(r: Rejection) -> dict:
    return {"client_order_id": r.client_order_id, "symbol": r.symbol, "rule": r.rule, "reason": r.reason}


# -- the form ---------------------------------------------------------------------------------------

def validate_form(config, params: dict) -> dict:
    """The rebalance form, checked before any work: one ConfigError naming the field (params.<field>)."""
    from include.portfolio.settings import Method, portfolio_settings

    settings = execution_settings(config)
    portfolio = portfolio_settings(config)
    methods = [m.value for m in Method]
    method = params.get("method") or portfolio.method.value
    if method not in methods:
        raise ConfigError(f"params.method: {method!r} is not a method; valid: {', '.join(methods)}")
    symbols = params.get("symbols") or settings.symbols
    if not isinstance(symbols, list) or not symbols:
        raise ConfigError(f"params.symbols: {symbols!r} is not a list of symbols; valid: {settings.symbols}")
    for symbol in symbols:
        if symbol not in settings.symbols:
            raise ConfigError(f"params.symbols: {symbol!r} is not an execution symbol; {closest(str(symbol), settings.symbols)}")
    overrides = params.get("target_weights") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(f"params.target_weights: {overrides!r} is not a mapping of symbol -> weight")
    for symbol, weight in overrides.items():
        if symbol not in symbols:
            raise ConfigError(f"params.target_weights: {symbol!r} is not among the selected symbols {symbols}")
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 <= weight <= 1:
            raise ConfigError(f"params.target_weights: the weight of {symbol} is {weight!r}; valid: a number in [0, 1]")
    if overrides and sum(overrides.values()) > 1 + 1e-9:
        raise ConfigError(f"params.target_weights: the weights sum to {sum(overrides.values()):.4f}; valid: at most 1")
    drift = params.get("drift_threshold", settings.drift_threshold)
    if not isinstance(drift, (int, float)) or isinstance(drift, bool) or not 0 <= drift < 1:
        raise ConfigError(f"params.drift_threshold: {drift!r} is invalid; valid: a number in [0, 1)")
    turnover = params.get("max_turnover", settings.max_turnover)
    if turnover is not None and (not isinstance(turnover, (int, float)) or isinstance(turnover, bool)
                                 or not 0 < turnover <= 4):
        raise ConfigError(f"params.max_turnover: {turnover!r} is invalid; valid: a number in (0, 4] or null")
    broker_name, live_venue, dry_run = broker_fields(settings, params)
    return {"method": method, "symbols": list(symbols), "target_weights": overrides, "drift_threshold": float(drift),
            "max_turnover": turnover, "broker": broker_name, "live_venue": live_venue, "dry_run": dry_run}


def broker_fields(settings, params: dict, *, gate: bool = True) -> tuple[str, str, bool]:
    """(broker, live_venue, dry_run) of a form (rebalance, flatten_all, risk_monitor). With `gate`, a run that
    may send orders to a live account is refused here unless the account is armed (live: true) and the form's
    live_venue names it: the first task fails at once; the approval is checked again before sending."""
    broker_name = params.get("broker") or "paper"
    if broker_name not in broker_names(settings):
        raise ConfigError(f"params.broker: {broker_name!r} is not a broker; valid: {', '.join(broker_names(settings))}")
    live_venue = params.get("live_venue") or ""
    if not isinstance(live_venue, str):
        raise ConfigError(f"params.live_venue: {live_venue!r} is invalid; valid: a string (the broker's name)")
    dry_run = params.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise ConfigError(f"params.dry_run: {dry_run!r} is invalid; valid: true or false")
    account = venue_account(settings, broker_name)
    if account is not None and not dry_run and gate:
        check_live_gate(broker_name, account, live_venue, None, check_approval=False)
        if (account.require_approval or not account.sandbox) and not account.approvers:
            raise ConfigError(f"execution.venues.{broker_name}.approvers is empty: its orders need an approval "
                              "and nobody may give it; list the approving Airflow users")
    return broker_name, live_venue, dry_run


# -- reconcile, positions ------------------------------------------------------------------------------

def reconcile_desk(config, stage: str = "start", account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """The ledger against the account's venue; any error or balance difference fails closed (ReconciliationError)."""
    with desk(config, account) as d, broker(d) as venue:
        # a venue account: fills over its trades lookback, lost-order tracking, opening balances at first contact
        report = reconcile(d.ledger, venue, since_ms=0 if d.venue is None else None, tolerance=BALANCE_TOLERANCE,
                           account=d.venue, **({} if d.venue is None else {"lost_after_ms": _lookup_ms(d.venue)}))
    if report.balance_differences:
        raise ReconciliationError(
            f"reconciliation ({stage}): the ledger and {'the paper venue' if d.venue is None else account.name} disagree on "
            + "; ".join(f"{b.currency} (ledger {b.ledger}, venue {b.broker})" for b in report.balance_differences)
            + "; trading must wait until they agree")
    out = {"stage": stage, "adopted": report.adopted, "updated": report.updated, "lost": report.lost,
           "still_lost": report.still_lost, "cancelled_lost": report.cancelled_lost, "new_fills": report.new_fills,
           "opening_balances": {c: str(v) for c, v in report.opening_balances.items()}}
    log.info("reconciliation (%s) of %s: %s", stage, account.name, out)
    return out


def _lookup_ms(venue) -> int:
    """How long a venue account's order may stay unseen before reconciliation tracks it as lost: as long as
    submit's lookup by client order id takes (lost_after_queries x query_interval_s). Lost is still open:
    asked for at every reconciliation, cancelled by client order id, its late fills matched."""
    return int(venue.lost_after_queries * venue.query_interval_s * 1000)


def _holdings(d: Desk) -> dict:
    """Base quantities per symbol. Paper: the ledger's positions. A venue account: the ledger's balance of each
    symbol's base currency, which includes what the account held before the desk first saw it (adopted as an
    opening deposit) and is what the venue reconciles against; bases of other markets are not the desk's."""
    if d.venue is None:
        return d.ledger.holdings()
    balances = d.ledger.balances()
    return {s: balances.get(m["base"], Decimal(0)) for s, m in d.markets.items()}


def _positions(d: Desk, symbols) -> dict:
    held = {s: q for s, q in _holdings(d).items() if q != 0}
    wanted = sorted(set(symbols) | set(held))
    candles = prices_of(d, wanted)
    prices = {s: candles[s].open for s in wanted}
    cash = d.ledger.balances().get(d.settings.quote, Decimal(0))
    equity = cash + sum(held.get(s, Decimal(0)) * Decimal(str(prices[s])) for s in wanted)
    weights = {s: float(held.get(s, Decimal(0)) * Decimal(str(prices[s])) / equity) if equity > 0 else 0.0
               for s in wanted}
    return {"equity": str(equity), "cash": str(cash), "prices": prices,
            "quantities": {s: str(held.get(s, Decimal(0))) for s in wanted}, "weights": weights,
            "price_ts_ms": {s: candles[s].ts_ms for s in wanted}}


def load_positions(config, form: dict, run_id: str, source: str = "rebalance",
                   account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Quantities, prices, equity and weights; the breaker evaluated on the equity (level 3: BreakerHalt)."""
    with desk(config, account) as d:
        with broker(d):  # a paper desk opened for the first time is funded with execution.paper.initial_cash
            positions = _positions(d, form["symbols"])
        state = breaker.evaluate(d.ledger, positions["equity"], ts_ms=now_ms(), source=source, run_id=run_id)
    positions["breaker"] = state.as_dict()
    log.info("%s", state.describe())
    if state.level >= breaker.HALT_LEVEL and source == "rebalance":
        raise BreakerHalt(f"rebalance refused: circuit breaker at level {state.level} (halt), drawdown "
                          f"{state.drawdown:.2%} beyond the limit {state.limit:.1%}; only risk-reducing orders "
                          "may leave (flatten_all, the risk monitor's liquidations)")
    return positions


# -- targets ----------------------------------------------------------------------------------------

def compute_targets(config, form: dict, positions: dict) -> dict:
    """Target weights: the form's override, else the optimiser; the drift threshold keeps near weights."""
    current = {s: positions["weights"].get(s, 0.0) for s in form["symbols"]}
    reason, ok, method = None, True, form["method"]
    if form["target_weights"]:
        raw = {s: float(form["target_weights"].get(s, 0.0)) for s in form["symbols"]}
        method = "override"
    else:
        from include.portfolio import load_daily_returns, optimise, portfolio_settings

        settings = portfolio_settings(config)
        update = {"method": form["method"]}
        if form["max_turnover"] is not None:
            update["max_turnover"] = form["max_turnover"]
        settings = type(settings).model_validate(settings.model_dump() | update)
        returns = load_daily_returns(DataPaths(data_dir(config)).exports, form["symbols"], settings.lookback_days,
                                     exchange=execution_settings(config).venue)
        result = optimise(returns, settings, current)
        raw = {s: float(result.weights.get(s, 0.0)) for s in form["symbols"]}
        ok, reason = result.ok, result.reason
        if not ok:
            log.warning("optimisation failed, keeping the current weights: %s", reason)
    targets, kept = {}, []
    for symbol in form["symbols"]:
        if abs(raw[symbol] - current[symbol]) < form["drift_threshold"]:
            targets[symbol] = current[symbol]
            kept.append(symbol)
        else:
            targets[symbol] = raw[symbol]
    return {"method": method, "ok": ok, "reason": reason, "optimised": raw, "targets": targets,
            "kept_within_drift": kept, "current": current}


# -- orders -----------------------------------------------------------------------------------------

def _plan(d: Desk, run_id: str, quantities: dict, prices: dict, reason: str) -> dict:
    plan = plan_orders(run_id, quantities, _holdings(d), d.ledger.open_quantities(), prices, d.rules,
                       reason=reason)
    return {"orders": [order_dict(o) for o in plan.orders],
            "dropped": [{"symbol": x.symbol, "side": x.side, "amount": str(x.amount), "leg": x.leg,
                         "reason": x.reason} for x in plan.dropped]}


def preview(orders: list[dict], positions: dict, target_weights: dict | None = None) -> list[dict]:
    """symbol, side, amount, estimated notional, weight before and after (at the arrival prices)."""
    equity = Decimal(positions["equity"])
    after = {s: Decimal(q) for s, q in positions["quantities"].items()}
    for o in orders:
        after[o["symbol"]] = after.get(o["symbol"], Decimal(0)) + (Decimal(o["amount"]) if o["side"] == "buy"
                                                                   else -Decimal(o["amount"]))
    rows = []
    for o in orders:
        price = Decimal(o["arrival_price"])
        s = o["symbol"]
        rows.append({"symbol": s, "side": o["side"], "amount": o["amount"], "leg": o["leg"],
                     "notional": float(Decimal(o["amount"]) * price),
                     "weight_before": positions["weights"].get(s, 0.0),
                     "weight_after": float(after[s] * price / equity) if equity > 0 else 0.0})
    return rows


def preview_table(rows: list[dict]) -> str:
    head = f"{'symbol':<12} {'side':<4} {'amount':>16} {'notional':>14} {'weight before':>13} {'weight after':>12}"
    lines = [head, "-" * len(head)]
    lines += [f"{r['symbol']:<12} {r['side']:<4} {r['amount']:>16} {r['notional']:>14,.2f} "
              f"{r['weight_before']:>13.4f} {r['weight_after']:>12.4f}" for r in rows]
    return "\n".join(lines if rows else lines + ["(no orders: the holdings already match the targets)"])


def build_orders(config, run_id: str, positions: dict, targets: dict, account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Orders moving the holdings (and open orders) to the target weights, priced, with the preview."""
    with desk(config, account) as d:
        prices = {s: positions["prices"][s] for s in targets["targets"]}
        quantities = target_quantities(targets["targets"], Decimal(positions["equity"]), prices)
        plan = _plan(d, run_id, quantities, prices, "rebalance")
    plan["preview"] = preview(plan["orders"], positions)
    log.info("proposed orders:\n%s", preview_table(plan["preview"]))
    for dropped in plan["dropped"]:
        log.info("dropped %s %s %s: %s", dropped["side"], dropped["amount"], dropped["symbol"], dropped["reason"])
    return plan


def risk_rules(d: Desk, level: int, kill_switch: KillSwitchLookup) -> list:
    r = d.settings.risk
    return [KillSwitch(kill_switch), CircuitBreaker(level, d.rules), MaxOrderNotional(Decimal(str(r.max_order_notional))),
            MaxPositionWeight(Decimal(str(r.max_position_weight))),
            MaxDailyTurnover(Decimal(str(r.max_daily_turnover))), MinNotional(Decimal(str(r.min_notional)))]


def _traded_today(d: Desk) -> Decimal:
    start = now_ms() - now_ms() % 86_400_000
    return sum((f.amount * f.price for f in d.ledger.fills(since_ms=start)), Decimal(0))


def check_risk(config, positions: dict, plan: dict, kill_switch: KillSwitchLookup,
               account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """The pre-trade rules on every order: accepted (possibly resized) and rejected with rule and reason."""
    with desk(config, account) as d:
        state = RiskState(Decimal(positions["equity"]), positions["prices"],
                          {s: Decimal(q) for s, q in positions["quantities"].items()}, _traded_today(d))
        result = check_orders([order_from(o) for o in plan["orders"]], state,
                              risk_rules(d, breaker.current(d.ledger), kill_switch))
    for r in result.rejected:
        log.warning("rejected %s %s: %s: %s", r.client_order_id, r.symbol, r.rule, r.reason)
    return {"accepted": [order_dict(o) for o in result.accepted],
            "rejected": [rejection_dict(r) for r in result.rejected], "planned": plan["orders"]}


def _engaged(kill_switch: KillSwitchLookup) -> bool:
    try:
        return bool(kill_switch())
    except Exception:  # a switch that cannot be read counts as engaged (fail closed)
        return True


def execute_orders(config, checked: dict, kill_switch: KillSwitchLookup, *, dry_run: bool, what: str = "rebalance",
                   account: DeskAccount = PAPER_ACCOUNT, live_venue: str = "", approval: dict | None = None) -> dict:
    """The one path out: the rejected recorded as such, each accepted order written, then sent (kill switch
    read just before). A dry run writes nothing. KillSwitchEngaged once the batch is done if it blocked any.
    A venue account: the live gate and its approval (include.execution.live_gate) are checked again here,
    before anything is written or sent (LiveTradingRefused names what is missing)."""
    if dry_run:
        log.info("dry run: %d order(s) not sent, nothing written", len(checked["accepted"]))
        return {"dry_run": True, "sent": [], "blocked": [], "orders": []}
    venue_settings = venue_account(execution_settings(config), account.name)
    if venue_settings is not None and checked["accepted"]:
        check_before_sending(account.name, venue_settings, live_venue, approval)
    sent, blocked, records = [], [], []
    with desk(config, account) as d, broker(d) as venue:
        for r in checked["rejected"]:
            _record_rejection(d, venue.id, r, checked)
            if r["rule"] == "kill_switch":
                blocked.append(r["client_order_id"])
        for data in checked["accepted"]:
            order = order_from(data)
            existing = d.ledger.order(order.client_order_id)
            # it leaves now if it is new, or was written but never sent (a crash before the send): read the switch
            leaves = existing is None or existing.status is OrderStatus.NEW
            if leaves and _engaged(kill_switch):
                d.ledger.record_intent(order, venue=venue.id)
                d.ledger.record_event(order.client_order_id, OrderStatus.REJECTED, raw_status="kill_switch",
                                      note="kill_switch: the kill switch is engaged")
                blocked.append(order.client_order_id)
                continue
            # a venue account: an unknown outcome is looked up by client order id (lost if never found)
            record = submit(d.ledger, venue, order, account=d.venue, sleep=account.broker_options.sleep)
            if leaves:
                sent.append(order.client_order_id)
            records.append({"client_order_id": order.client_order_id, "status": record.status.value})
    log.info("%s: sent %d order(s), %d already in the ledger, %d blocked by the kill switch", what, len(sent),
             len(records) - len(sent), len(blocked))
    if blocked:
        raise KillSwitchEngaged(f"the kill switch is engaged: {len(blocked)} {what} order(s) blocked before they "
                                f"left ({len(sent)} sent before it); release the switch and trigger a new run")
    return {"dry_run": False, "sent": sent, "blocked": blocked, "orders": records}


def _record_rejection(d: Desk, venue: str, rejection: dict, checked: dict) -> None:
    order = next((order_from(o) for o in checked.get("planned", []) if o["client_order_id"] == rejection["client_order_id"]),
                 None)
    if order is None:
        return
    _, created = d.ledger.record_intent(order, venue=venue)
    if created:
        d.ledger.record_event(order.client_order_id, OrderStatus.REJECTED, raw_status=rejection["rule"],
                              note=f"{rejection['rule']}: {rejection['reason']}"[:500])


def track_fills(config, submitted: dict, *, poll_s: float = 1.0, account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Wait up to execution.fill_timeout_s for the run's orders; cancel what is still open; partial fills stay."""
    if submitted["dry_run"]:
        return {"filled": [], "cancelled": [], "partial": []}
    ids = [o["client_order_id"] for o in submitted["orders"]]
    with desk(config, account) as d:
        deadline = time.monotonic() + d.settings.fill_timeout_s
        while True:
            with broker(d) as venue:
                for record in d.ledger.orders(client_order_ids=ids):
                    if record.status in OPEN:
                        _follow(d, venue, record)
                open_ids = [r.client_order_id for r in d.ledger.orders(client_order_ids=ids) if r.status in OPEN]
                if not open_ids or time.monotonic() >= deadline:
                    for cid in open_ids:  # one the venue never acknowledged is cancelled by client order id
                        try:
                            cancel(d.ledger, venue, cid)
                        except ccxt.OrderNotFound as exc:  # closed meanwhile, or not visible yet
                            log.info("cancel of %s: %s does not show it (%s); reconciliation settles it", cid,
                                     venue.id, exc)
                    break
            time.sleep(poll_s)
        records = d.ledger.orders(client_order_ids=ids)
    out = {"filled": [r.client_order_id for r in records if r.status is OrderStatus.FILLED],
           "cancelled": [r.client_order_id for r in records if r.status is OrderStatus.CANCELLED and r.filled == 0],
           "partial": [r.client_order_id for r in records if r.status is not OrderStatus.FILLED and r.filled > 0]}
    log.info("fills: %d filled, %d cancelled, %d partially filled", len(out["filled"]), len(out["cancelled"]),
             len(out["partial"]))
    return out


def _follow(d: Desk, venue, record) -> None:
    """The venue's view of one open order into the ledger. One the venue never acknowledged (no venue order id:
    sent without an answer, unknown, lost) or cannot show yet is left to reconciliation, which looks it up by
    client order id: asking here would only fail the task on every retry."""
    cid = record.client_order_id
    if record.venue_order_id is None or record.status is OrderStatus.LOST:
        log.info("%s (%s): not acknowledged by %s; reconciliation looks it up", cid, record.status.value, venue.id)
        return
    try:
        found = venue.fetch_order(record.venue_order_id, record.intent.symbol, {"clientOrderId": cid})
    except ccxt.OrderNotFound as exc:
        log.info("%s: %s cannot show it yet (%s); reconciliation settles it", cid, venue.id, exc)
        return
    record_venue_order(d.ledger, venue.id, cid, found)


# -- publish, summarise --------------------------------------------------------------------------------

def publish(d: Desk) -> dict:
    """The ledger into the warehouse: exported, its dbt models built, its marts exported (rows per mart)."""
    from include.execution.publish import publish_ledger

    return publish_ledger(d.ledger, d.paths.root, {PAPER_VENUE_ID: d.settings.venue})


def publish_ledger_of(config) -> dict:
    with desk(config) as d:
        return publish(d)


def summarise(config, run_id: str, form: dict, positions: dict, targets: dict | None, plan: dict | None,
              checked: dict | None, what: str = "rebalance", account: DeskAccount = PAPER_ACCOUNT,
              approval: dict | None = None) -> dict:
    """Orders, fills, slippage against the arrival price, weights before and after, rejections: dict and text.

    approval: the approval task's answer when the run asked for one (a rejection: nothing was submitted).
    Also recorded in the ledger's desk_runs (kind = what: rebalance, flatten, liquidation), a dry run too,
    so the warehouse shows every run and preview; a re-run of the summary keeps the first row."""
    with desk(config, account) as d:
        records = [r for r in d.ledger.orders() if r.intent.run_id == run_id]
        fills = [f for f in d.ledger.fills() if f.client_order_id in {r.client_order_id for r in records}]
        after = _positions(d, form["symbols"])
        arrival = {r.client_order_id: r.intent.arrival_price for r in records}
        fill_rows = []
        for f in fills:
            ref = arrival.get(f.client_order_id)
            sign = 1 if f.side == "buy" else -1
            slip = None if ref is None else float(sign * (f.price - ref) * f.amount)
            bps = None if ref is None else float(sign * (f.price / ref - 1) * 10_000)
            fill_rows.append({"symbol": f.symbol, "side": f.side, "amount": str(f.amount), "price": str(f.price),
                              "fee": str(f.fee_cost), "arrival_price": None if ref is None else str(ref),
                              "slippage": slip, "slippage_bps": bps})
        totals = run_totals(fills, arrival)
        rejected = (checked or {}).get("rejected", [])
        summary = {"run_id": run_id, "what": what, "dry_run": form.get("dry_run", True), "broker": account.name,
                   "approval": None if approval is None else {"approved": approved(approval),
                                                              "by": responder(approval)},
                   "orders": [{"client_order_id": r.client_order_id, "symbol": r.intent.symbol, "side": r.intent.side,
                               "amount": str(r.intent.amount), "status": r.status.value} for r in records],
                   "fills": fill_rows, "slippage_total": sum(r["slippage"] or 0.0 for r in fill_rows),
                   "notional": float(totals["notional"]), "fees": float(totals["fees"]),
                   "slippage_bps": None if totals["slippage_bps"] is None else float(totals["slippage_bps"]),
                   "weights_before": positions["weights"], "weights_after": after["weights"],
                   "targets": None if targets is None else targets["targets"],
                   "optimisation": None if targets is None else {"method": targets["method"], "ok": targets["ok"],
                                                                 "reason": targets["reason"]},
                   "rejected": rejected, "preview": (plan or {}).get("preview", []),
                   "equity_before": positions["equity"], "equity_after": after["equity"]}
        recorded = d.ledger.record_desk_run(DeskRun(
            run_id, what, now_ms(), summary["dry_run"], len(records), len(fills), len(rejected),
            len(summary["preview"]), totals["notional"], totals["fees"], totals["slippage_cost"],
            totals["slippage_bps"], positions["equity"], after["equity"], summary["weights_before"],
            summary["weights_after"], rejected, summary["preview"]))
    summary["text"] = summary_text(summary)
    log.info("%s", summary["text"])
    if not recorded:
        log.info("%s %s: its summary is already in the ledger (desk_runs); the first one is kept", what, run_id)
    return summary


def run_totals(fills, arrival: dict) -> dict:
    """Notional, fees (quote currency) and slippage against the arrival price (quote and bps; + = a cost) of a
    run's fills. bps = slippage cost / the fills' notional at their arrival prices x 10,000 (fct_orders' per-order
    figure, summed over the run); None when no fill has an arrival price."""
    notional = fees = cost = at_arrival = Decimal(0)
    for f in fills:
        notional += f.amount * f.price
        quote = pnl.base_quote(f.symbol)[1]
        fees += f.fee_cost if f.fee_currency in (None, quote) else f.fee_cost * f.price
        ref = arrival.get(f.client_order_id)
        if ref:
            cost += (1 if f.side == "buy" else -1) * (f.price - ref) * f.amount
            at_arrival += ref * f.amount
    return {"notional": notional, "fees": fees, "slippage_cost": cost,
            "slippage_bps": cost / at_arrival * 10_000 if at_arrival else None}


def summary_text(s: dict) -> str:
    lines = [f"Peak Trade {s['what']} {s['run_id']} on {s.get('broker', 'paper')}"
             f"{' (dry run: nothing sent)' if s['dry_run'] else ''}"]
    if s.get("approval") and not s["approval"]["approved"]:
        lines.append(f"rejected by {s['approval']['by']}: nothing submitted")
    elif s.get("approval"):
        lines.append(f"approved by {s['approval']['by']}")
    lines.append(f"equity {float(s['equity_before']):,.2f} -> {float(s['equity_after']):,.2f}")
    opt = s.get("optimisation")
    if opt and not opt["ok"]:
        lines.append(f"optimisation failed, current weights kept: {opt['reason']}")
    lines.append(f"orders: {len(s['orders'])}, fills: {len(s['fills'])}, slippage vs arrival: "
                 f"{s['slippage_total']:,.2f}")
    if s["dry_run"] or (s.get("approval") and not s["approval"]["approved"]):
        lines.append(preview_table(s["preview"]))
    for symbol in sorted(set(s["weights_before"]) | set(s["weights_after"])):
        lines.append(f"  {symbol:<12} weight {s['weights_before'].get(symbol, 0.0):.4f} -> "
                     f"{s['weights_after'].get(symbol, 0.0):.4f}")
    for r in s["rejected"]:
        lines.append(f"  rejected {r['symbol']} ({r['client_order_id']}): {r['rule']}: {r['reason']}")
    return "\n".join(lines)


# -- flatten and the risk monitor ------------------------------------------------------------------------

def plan_close(config, run_id: str, symbols, reason: str, kill_switch: KillSwitchLookup, *, dry_run: bool,
               what: str, positions: dict | None = None, account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Target 0 for each symbol: the closing orders planned, previewed and through the risk rules (nothing sent).

    positions: what the caller has just reconciled and loaded (the monitor); None reconciles and
    loads here (flatten). Loading evaluates the breaker and records an equity mark, so once a run."""
    form = {"symbols": execution_settings(config).symbols, "dry_run": dry_run, "broker": account.name}
    if positions is None:
        reconcile_desk(config, f"{what} start", account)
        positions = load_positions(config, form, run_id, source=what, account=account)
    with desk(config, account) as d:
        held = {s: Decimal(q) for s, q in positions["quantities"].items() if Decimal(q) != 0 and s in symbols}
        plan = _plan(d, run_id, {s: 0 for s in held}, positions["prices"], reason)
    plan["preview"] = preview(plan["orders"], positions)
    log.info("%s orders:\n%s", what, preview_table(plan["preview"]))
    checked = check_risk(config, positions, plan, kill_switch, account)
    return {"what": what, "form": form, "positions": positions, "plan": plan, "checked": checked}


def send_close(config, planned: dict, kill_switch: KillSwitchLookup, *, account: DeskAccount = PAPER_ACCOUNT,
               live_venue: str = "", approval: dict | None = None) -> dict:
    """The planned closing orders sent through the one path, tracked and reconciled (the kill switch blocks them too)."""
    what, dry_run = planned["what"], planned["form"]["dry_run"]
    try:
        submitted = execute_orders(config, planned["checked"], kill_switch, dry_run=dry_run, what=what,
                                   account=account, live_venue=live_venue, approval=approval)
    except KillSwitchEngaged as exc:
        raise KillSwitchEngaged(f"{what}: {exc}. The kill switch blocks closing orders too: release it "
                                f"(Variable {execution_settings(config).kill_switch_variable}) to close positions") from None
    track_fills(config, submitted, account=account)
    if not dry_run:
        reconcile_desk(config, f"{what} end", account)
    return submitted


def summarise_close(config, run_id: str, planned: dict, *, account: DeskAccount = PAPER_ACCOUNT,
                    approval: dict | None = None) -> dict:
    summary = summarise(config, run_id, planned["form"], planned["positions"], None, planned["plan"],
                        planned["checked"], planned["what"], account, approval)
    summary["breaker"] = planned["positions"]["breaker"]
    return summary


def close_positions(config, run_id: str, symbols, reason: str, kill_switch: KillSwitchLookup, *,
                    dry_run: bool, what: str, positions: dict | None = None,
                    account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Target 0 for each symbol through the same path, in one go: plan, risk rules, submit, track, reconcile,
    summarise (an account whose orders need an approval goes through the DAG's approval task instead)."""
    planned = plan_close(config, run_id, symbols, reason, kill_switch, dry_run=dry_run, what=what,
                         positions=positions, account=account)
    send_close(config, planned, kill_switch, account=account)
    return summarise_close(config, run_id, planned, account=account)


def flatten(config, run_id: str, dry_run: bool = True, kill_switch: KillSwitchLookup = lambda: False,
            account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """Close every position through the order path (the kill switch still blocks it)."""
    return close_positions(config, run_id, execution_settings(config).symbols, "flatten_all", kill_switch,
                           dry_run=dry_run, what="flatten", account=account)


def breaches(config, positions: dict, account: DeskAccount = PAPER_ACCOUNT) -> list[dict]:
    """Positions beyond execution.hard_limits: a loss below average cost, or a weight."""
    limits = execution_settings(config).hard_limits
    out = []
    with desk(config, account) as d:
        costs = {s: p.average_cost for s, p in d.ledger.positions().items()}
    for symbol, quantity in positions["quantities"].items():
        q = Decimal(quantity)
        if q == 0:
            continue
        price, weight = Decimal(str(positions["prices"][symbol])), abs(positions["weights"][symbol])
        cost = costs.get(symbol) or price
        loss = float((cost - price) / cost) if q > 0 else float((price - cost) / cost)
        if loss >= limits.max_loss:
            out.append({"symbol": symbol, "limit": "max_loss", "value": loss, "threshold": limits.max_loss})
        elif weight > limits.max_weight:
            out.append({"symbol": symbol, "limit": "max_weight", "value": weight, "threshold": limits.max_weight})
    return out


def monitor(config, run_id: str, kill_switch: KillSwitchLookup, *, dry_run: bool = False,
            account: DeskAccount = PAPER_ACCOUNT) -> dict:
    """The breaker on the account's equity; positions beyond their hard limit liquidated (previewed in a dry run).

    An account whose orders need a person's approval (every live account, a sandbox that requires one)
    is never liquidated unattended: the liquidation is previewed only and `needs_approval` says so, for
    the caller to notify (flatten_all, with its approval, closes it)."""
    venue = venue_account(execution_settings(config), account.name)
    unattended = venue is not None and (not venue.sandbox or venue.require_approval)
    reconcile_desk(config, "monitor", account)
    form = {"symbols": execution_settings(config).symbols, "dry_run": dry_run}
    positions = load_positions(config, form, run_id, source="monitor", account=account)
    found = breaches(config, positions, account)
    for b in found:
        log.warning("hard limit breached: %s %s %.4f beyond %.4f", b["symbol"], b["limit"], b["value"], b["threshold"])
    out = {"breaker": positions["breaker"], "breaches": found, "liquidation": None,
           "needs_approval": bool(found) and unattended and not dry_run}
    if found:
        out["liquidation"] = close_positions(config, f"{run_id}:liquidate", [b["symbol"] for b in found],
                                             "hard limit", kill_switch, dry_run=dry_run or unattended,
                                             what="liquidation", positions=positions, account=account)
    return out


def paper_ledger_counts(paths: DataPaths, ledger_url: str | None = None) -> tuple[str, int, int]:
    """(where the ledger is, password masked; orders; fills): the demo's closing listing."""
    if ledger_url is None and not paths.ledger.is_file():
        return str(paths.ledger), 0, 0
    ledger = Ledger(ledger_url or paths.ledger)
    try:
        return ledger.where if ledger_url else str(paths.ledger), len(ledger.orders()), len(ledger.fills())
    finally:
        ledger.close()
