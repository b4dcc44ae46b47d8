"""The order ledger: append-only tables in one transactional store (SQLAlchemy Core).

A SQLite file in WAL mode on the embedded default (Ledger(path)); PostgreSQL when
given a postgresql+psycopg:// URL. Tables (docs/execution.md):
- orders: each intent, written BEFORE it is sent (write-ahead); client_order_id unique,
  so a retry finds its order instead of sending another;
- order_events: every status change (state machine), with the venue's order id and raw status;
- fills: unique (venue, trade_id): a fill seen twice is stored once;
- cash_movements: deposits, withdrawals, fees not tied to a fill;
- equity_marks: the desk's equity each time the breaker was evaluated;
- desk_runs: the summary of each rebalance, flatten and liquidation (a dry run too), unique
  (run_id, kind): a re-run of the summary keeps the first row.
Rows are never updated or deleted (database triggers refuse it); an order's status is
its latest event. Amounts and prices are Decimal, stored as exact decimal text.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from include.execution import pnl
from include.execution.errors import LedgerError
from include.execution.orders import OrderIntent, as_decimal
from include.execution.state_machine import OPEN, OrderStatus, check_transition, status as to_status

TABLES = ("orders", "order_events", "fills", "cash_movements", "equity_marks", "desk_runs")
DESK_RUN_KINDS = ("rebalance", "flatten", "liquidation")
# opening_balance: a venue account's balances adopted at the first reconciliation (include/execution/reconcile.py)
CASH_KINDS = ("deposit", "withdrawal", "fee", "adjustment", "opening_balance")


class DecimalText(sa.types.TypeDecorator):
    """Decimal stored as its exact text: the same on SQLite (which has no decimal type) and PostgreSQL."""

    impl = sa.String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(as_decimal(value, "ledger value"))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def _tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    D = DecimalText
    orders = sa.Table(
        "orders", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(64), nullable=False, unique=True),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("amount", D, nullable=False),
        sa.Column("limit_price", D),
        sa.Column("arrival_price", D),
        sa.Column("reason", sa.String(250), nullable=False),
        sa.Column("leg", sa.String(64), nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),  # adopted from the venue by reconciliation
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    events = sa.Table(
        "order_events", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(64), sa.ForeignKey(orders.c.client_order_id), nullable=False,
                  index=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("venue_order_id", sa.String(128)),
        sa.Column("raw_status", sa.String(64)),
        sa.Column("filled", D),
        sa.Column("note", sa.String(500)),
    )
    fills = sa.Table(
        "fills", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", sa.String(64), sa.ForeignKey(orders.c.client_order_id), index=True),
        sa.Column("venue_order_id", sa.String(128)),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("amount", D, nullable=False),
        sa.Column("price", D, nullable=False),
        sa.Column("fee_cost", D, nullable=False),
        sa.Column("fee_currency", sa.String(32)),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("venue", "trade_id", name="fills_venue_trade_id"),
    )
    cash = sa.Table(
        "cash_movements", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(32), nullable=False),
        sa.Column("amount", D, nullable=False),          # signed: + in, - out
        sa.Column("kind", sa.String(32), nullable=False),  # CASH_KINDS
        sa.Column("reference", sa.String(250)),
    )
    marks = sa.Table(
        "equity_marks", metadata,  # the desk's equity each time the breaker was evaluated
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("equity", D, nullable=False),
        sa.Column("peak", D, nullable=False),        # the running peak the drawdown is measured from
        sa.Column("drawdown", D, nullable=False),    # 1 - equity / peak
        sa.Column("level", sa.Integer, nullable=False),  # breaker level 0-3 after this mark
        sa.Column("source", sa.String(64), nullable=False),  # rebalance, monitor, flatten
        sa.Column("run_id", sa.String(250)),
    )
    runs = sa.Table(
        "desk_runs", metadata,  # one summary per (run, kind): what the desk did, or previewed in a dry run
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),         # DESK_RUN_KINDS
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("orders", sa.Integer, nullable=False),          # orders of the run in the ledger (0 in a dry run)
        sa.Column("fills", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),        # rejected by a pre-trade rule
        sa.Column("proposed", sa.Integer, nullable=False),        # orders the preview proposed
        sa.Column("notional", D, nullable=False),                 # sum of the fills' amount x price, quote
        sa.Column("fees", D, nullable=False),                     # the fills' fees in the quote currency
        sa.Column("slippage_cost", D, nullable=False),            # against the arrival price, quote; + = a cost
        sa.Column("slippage_bps", D),                             # slippage_cost / arrival notional; NULL: no fill
        sa.Column("equity_before", D),
        sa.Column("equity_after", D),
        sa.Column("weights_before", sa.Text, nullable=False),     # JSON: symbol -> weight
        sa.Column("weights_after", sa.Text, nullable=False),
        sa.Column("rejections", sa.Text, nullable=False),         # JSON: [{client_order_id, symbol, rule, reason}]
        sa.Column("preview", sa.Text, nullable=False),            # JSON: the proposed orders with weights
        sa.UniqueConstraint("run_id", "kind", name="desk_runs_run_kind"),
    )
    return {"orders": orders, "order_events": events, "fills": fills, "cash_movements": cash, "equity_marks": marks,
            "desk_runs": runs}


def _append_only(table: sa.Table, schema: str | None) -> None:
    """Triggers that refuse UPDATE and DELETE on the table."""
    name = table.name
    sa.event.listen(table, "after_create", sa.DDL(
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} "
        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END").execute_if(dialect="sqlite"))
    sa.event.listen(table, "after_create", sa.DDL(
        f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} "
        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END").execute_if(dialect="sqlite"))
    qualified = f'"{schema}".{name}' if schema else name
    func = f'"{schema}".ledger_append_only' if schema else "ledger_append_only"
    sa.event.listen(table, "after_create", sa.DDL(
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {qualified} "
        f"FOR EACH ROW EXECUTE FUNCTION {func}()").execute_if(dialect="postgresql"))


@functools.lru_cache(maxsize=None)
def _schema(schema: str | None) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    """The ledger's tables (and append-only triggers) in `schema`: definitions independent of any engine, built
    once per process (every desk step opens the ledger) and created per database by create_all."""
    metadata = sa.MetaData(schema=schema)
    tables = _tables(metadata)
    _pg_function(metadata, schema)
    for table in tables.values():
        _append_only(table, schema)
    return metadata, tables


def _pg_function(metadata: sa.MetaData, schema: str | None) -> None:
    func = f'"{schema}".ledger_append_only' if schema else "ledger_append_only"
    sa.event.listen(metadata, "before_create", sa.DDL(
        f"CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END $$").execute_if(dialect="postgresql"))


@dataclass(frozen=True)
class OrderRecord:
    intent: OrderIntent
    venue: str
    status: OrderStatus
    venue_order_id: str | None
    filled: Decimal
    external: bool
    created_ms: int

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id


@dataclass(frozen=True)
class Fill:
    venue: str
    trade_id: str
    symbol: str
    side: str
    amount: Decimal
    price: Decimal
    ts_ms: int
    fee_cost: Decimal = Decimal(0)
    fee_currency: str | None = None
    client_order_id: str | None = None
    venue_order_id: str | None = None

    def __post_init__(self):
        for attr in ("amount", "price", "fee_cost"):
            object.__setattr__(self, attr, as_decimal(getattr(self, attr), f"fill {self.trade_id} {attr}"))


@dataclass(frozen=True)
class DeskRun:
    """A desk run's summary as the ledger keeps it (desk.summarise builds it); JSON fields as Python values."""
    run_id: str
    kind: str
    ts_ms: int
    dry_run: bool
    orders: int
    fills: int
    rejected: int
    proposed: int
    notional: Decimal
    fees: Decimal
    slippage_cost: Decimal
    slippage_bps: Decimal | None
    equity_before: Decimal | None
    equity_after: Decimal | None
    weights_before: dict
    weights_after: dict
    rejections: list
    preview: list

    def __post_init__(self):
        if self.kind not in DESK_RUN_KINDS:
            raise LedgerError(f"desk run {self.run_id}: kind {self.kind!r} is invalid; valid: {', '.join(DESK_RUN_KINDS)}")
        for attr in ("notional", "fees", "slippage_cost", "slippage_bps", "equity_before", "equity_after"):
            if getattr(self, attr) is not None:
                object.__setattr__(self, attr, as_decimal(getattr(self, attr), f"desk run {self.run_id} {attr}"))

    def row(self) -> dict:
        row = dict(self.__dict__)
        for attr in ("weights_before", "weights_after", "rejections", "preview"):
            row[attr] = json.dumps(row[attr], sort_keys=True)
        return row


def now_ms() -> int:
    return int(time.time() * 1000)


def masked(target: str) -> str:
    """A ledger URL with its password hidden (a path is returned as it is): secrets never reach logs."""
    try:
        return sa.engine.make_url(target).render_as_string(hide_password=True) if "://" in target else target
    except sa.exc.ArgumentError:
        return target.split("://", 1)[0] + "://***"


class Ledger:
    """Ledger(path_or_url, schema=None): a SQLite file path, or a postgresql+psycopg:// URL (optionally a schema)."""

    @property
    def where(self) -> str:
        """Where the ledger is, fit for a log line: a URL's password is masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def __init__(self, target: str | Path, *, schema: str | None = None):
        text = str(target)
        if "://" not in text:
            path = Path(text)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(f"sqlite:///{path}")
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            schema = None
        elif text.startswith(("postgresql+psycopg://", "postgresql://")):
            self.engine = sa.create_engine(text.replace("postgresql://", "postgresql+psycopg://", 1))
        else:
            raise LedgerError(f"ledger target {masked(text)!r} is invalid; valid: a SQLite file path or a "
                              "postgresql+psycopg://user@host/db URL")
        self.schema = schema
        if schema and self.engine.dialect.name == "postgresql":
            _create_schema(self.engine, schema)
        self.metadata, self.t = _schema(schema)
        self.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- writes -------------------------------------------------------------------------------------

    def record_intent(self, order: OrderIntent, *, venue: str, ts_ms: int | None = None,
                      external: bool = False) -> tuple[OrderRecord, bool]:
        """Write the order and its `new` event; (record, True), or (the existing record, False) if the id exists."""
        ts_ms = now_ms() if ts_ms is None else ts_ms
        row = {"client_order_id": order.client_order_id, "venue": venue, "run_id": order.run_id,
               "symbol": order.symbol, "side": order.side, "type": order.type, "amount": order.amount,
               "limit_price": order.limit_price, "arrival_price": order.arrival_price, "reason": order.reason,
               "leg": order.leg, "external": external, "created_ms": ts_ms}
        try:
            with self.engine.begin() as conn:
                conn.execute(self.t["orders"].insert().values(row))
                conn.execute(self.t["order_events"].insert().values(
                    client_order_id=order.client_order_id, ts_ms=ts_ms, status=OrderStatus.NEW.value))
        except IntegrityError:
            existing = self.order(order.client_order_id)
            if existing is None:
                raise
            return existing, False
        return self.order(order.client_order_id), True

    def record_event(self, client_order_id: str, status: OrderStatus | str, *, ts_ms: int | None = None,
                     venue_order_id: str | None = None, raw_status: str | None = None, filled=None,
                     note: str | None = None) -> bool:
        """Append a status change checked by the state machine; False (nothing written) when nothing changed."""
        to = to_status(status)
        with self.engine.begin() as conn:
            if conn.execute(sa.select(self.t["orders"].c.id).where(
                    self.t["orders"].c.client_order_id == client_order_id).with_for_update()).first() is None:
                raise LedgerError(f"order {client_order_id} is not in the ledger; record its intent first")
            last = self._events(conn, client_order_id)[-1]
            filled = None if filled is None else as_decimal(filled, f"filled of order {client_order_id}")
            if to.value == last["status"] and (filled is None or filled == last["filled"]):
                return False
            check_transition(client_order_id, last["status"], to)
            conn.execute(self.t["order_events"].insert().values(
                client_order_id=client_order_id, ts_ms=now_ms() if ts_ms is None else ts_ms, status=to.value,
                venue_order_id=venue_order_id, raw_status=raw_status, filled=filled, note=note))
        return True

    def record_fill(self, fill: Fill) -> bool:
        """Store the fill; False when (venue, trade_id) is already stored."""
        try:
            with self.engine.begin() as conn:
                conn.execute(self.t["fills"].insert().values(fill.__dict__))
        except IntegrityError:
            if self._has_fill(fill.venue, fill.trade_id):
                return False
            raise LedgerError(f"fill {fill.trade_id}: order {fill.client_order_id} is not in the ledger; "
                              "adopt the order before its fills") from None
        return True

    def record_cash(self, currency: str, amount, *, kind: str = "deposit", ts_ms: int | None = None,
                    reference: str | None = None) -> None:
        kinds = CASH_KINDS
        if kind not in kinds:
            raise LedgerError(f"cash movement kind {kind!r} is invalid; valid: {', '.join(kinds)}")
        with self.engine.begin() as conn:
            conn.execute(self.t["cash_movements"].insert().values(
                ts_ms=now_ms() if ts_ms is None else ts_ms, currency=currency,
                amount=as_decimal(amount, f"cash movement of {currency}"), kind=kind, reference=reference))

    def record_mark(self, *, ts_ms: int, equity, peak, drawdown, level: int, source: str,
                    run_id: str | None = None) -> None:
        """Append one equity mark (include/execution/breaker.py decides peak, drawdown and level)."""
        with self.engine.begin() as conn:
            conn.execute(self.t["equity_marks"].insert().values(
                ts_ms=ts_ms, equity=as_decimal(equity, "equity"), peak=as_decimal(peak, "peak"),
                drawdown=as_decimal(drawdown, "drawdown"), level=int(level), source=source, run_id=run_id))

    def record_desk_run(self, run: DeskRun) -> bool:
        """Store a run's summary; False (the first row kept) when (run_id, kind) is already stored."""
        try:
            with self.engine.begin() as conn:
                conn.execute(self.t["desk_runs"].insert().values(run.row()))
        except IntegrityError:
            r = self.t["desk_runs"]
            with self.engine.connect() as conn:
                if conn.execute(sa.select(r.c.id).where(r.c.run_id == run.run_id, r.c.kind == run.kind)).first():
                    return False
            raise
        return True

    # -- reads --------------------------------------------------------------------------------------

    def marks(self) -> list[dict]:
        """Equity marks, oldest first."""
        m = self.t["equity_marks"]
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(m).order_by(m.c.id))]

    def desk_runs(self) -> list[dict]:
        """Desk run summaries, oldest first; the JSON columns as stored (text)."""
        r = self.t["desk_runs"]
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(r).order_by(r.c.id))]

    def _events(self, conn, client_order_id: str) -> list[dict]:
        e = self.t["order_events"]
        rows = conn.execute(sa.select(e).where(e.c.client_order_id == client_order_id).order_by(e.c.id))
        return [dict(r._mapping) for r in rows]

    def _has_fill(self, venue: str, trade_id: str) -> bool:
        f = self.t["fills"]
        with self.engine.connect() as conn:
            return conn.execute(sa.select(f.c.id).where(f.c.venue == venue, f.c.trade_id == trade_id)).first() \
                is not None

    def events(self, client_order_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            return self._events(conn, client_order_id)

    def order(self, client_order_id: str) -> OrderRecord | None:
        found = self.orders(client_order_ids=[client_order_id])
        return found[0] if found else None

    def orders(self, *, open_only: bool = False, client_order_ids: Iterable[str] | None = None) -> list[OrderRecord]:
        """Orders with their latest status, oldest first."""
        o, e = self.t["orders"], self.t["order_events"]
        query, events = sa.select(o).order_by(o.c.id), sa.select(e).order_by(e.c.id)
        if client_order_ids is not None:
            ids = list(client_order_ids)
            query, events = query.where(o.c.client_order_id.in_(ids)), events.where(e.c.client_order_id.in_(ids))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            latest: dict[str, dict] = {}
            for ev in conn.execute(events):
                state = latest.setdefault(ev.client_order_id, {"venue_order_id": None, "filled": Decimal(0)})
                state["status"] = ev.status
                state["venue_order_id"] = ev.venue_order_id or state["venue_order_id"]
                if ev.filled is not None:
                    state["filled"] = ev.filled
        out = []
        for r in rows:
            state = latest[r.client_order_id]
            record = OrderRecord(
                OrderIntent(r.client_order_id, r.symbol, r.side, r.type, r.amount, r.limit_price, r.arrival_price,
                            r.reason, r.leg, r.run_id),
                r.venue, OrderStatus(state["status"]), state["venue_order_id"], state["filled"], r.external,
                r.created_ms)
            if not open_only or record.status in OPEN:
                out.append(record)
        return out

    def fills(self, *, since_ms: int | None = None, symbol: str | None = None) -> list[Fill]:
        """Fills in time order (then in the order stored)."""
        f = self.t["fills"]
        query = sa.select(f).order_by(f.c.ts_ms, f.c.id)
        if since_ms is not None:
            query = query.where(f.c.ts_ms >= since_ms)
        if symbol is not None:
            query = query.where(f.c.symbol == symbol)
        with self.engine.connect() as conn:
            return [Fill(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in conn.execute(query)]

    def cash_movements(self) -> list[dict]:
        c = self.t["cash_movements"]
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(c).order_by(c.c.id))]

    def filled_amounts(self) -> dict[str, Decimal]:
        """Sum of fills per client order id."""
        out: dict[str, Decimal] = {}
        for fill in self.fills():
            if fill.client_order_id is not None:
                out[fill.client_order_id] = out.get(fill.client_order_id, Decimal(0)) + fill.amount
        return out

    def open_quantities(self) -> dict[str, Decimal]:
        """Signed unfilled amount of the open orders per symbol (what targets.plan_orders subtracts)."""
        filled = self.filled_amounts()
        out: dict[str, Decimal] = {}
        for rec in self.orders(open_only=True):
            remaining = max(rec.intent.amount - filled.get(rec.client_order_id, Decimal(0)), Decimal(0))
            out[rec.intent.symbol] = out.get(rec.intent.symbol, Decimal(0)) + (
                remaining if rec.intent.side == "buy" else -remaining)
        return out

    def positions(self) -> dict[str, pnl.Position]:
        """Positions, average cost, realised PnL and fees per symbol (pnl.py's definitions)."""
        return pnl.replay(self.fills())

    def holdings(self) -> dict[str, Decimal]:
        return {s: p.quantity for s, p in self.positions().items()}

    def pnl(self, marks=None) -> list[dict]:
        return pnl.pnl_table(self.positions(), marks)

    def balances(self) -> dict[str, Decimal]:
        """Currency balances the ledger implies: cash movements plus every fill's flows and fees."""
        out: dict[str, Decimal] = {}

        def add(currency, amount):
            out[currency] = out.get(currency, Decimal(0)) + amount
        for move in self.cash_movements():
            add(move["currency"], move["amount"])
        for f in self.fills():
            base, quote = pnl.base_quote(f.symbol)
            sign = 1 if f.side == "buy" else -1
            add(base, sign * f.amount)
            add(quote, -sign * f.amount * f.price)
            if f.fee_cost:
                add(f.fee_currency or quote, -f.fee_cost)
        return out


def open_ledger(url: str | None, paths, account: str = "paper") -> Ledger:
    """The ledger of one account: the paper desk's at `url` or DataPaths.ledger; a venue account `name`'s
    in the schema `name` at a PostgreSQL `url`, else the SQLite file DataPaths.ledger_for(name).

    Accounts never share a ledger: each reconciles with its own venue. Account names are checked
    by include.execution.settings (lower-case letters, digits, '_'), so they are safe as schema names.
    """
    if account == "paper":
        return Ledger(url or paths.ledger)
    if url is None:
        return Ledger(paths.ledger_for(account))
    if not url.startswith(("postgresql+psycopg://", "postgresql://")):
        raise LedgerError(f"ledger_url {masked(url)!r} for account {account!r} is invalid; valid: a "
                          "postgresql+psycopg://user@host/db URL (each account gets its own schema), or none "
                          "(a SQLite file per account)")
    return Ledger(url, schema=account)


def _create_schema(engine: sa.Engine, schema: str) -> None:
    """CREATE SCHEMA IF NOT EXISTS, tolerating another process creating it at the same moment."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    except (IntegrityError, sa.exc.ProgrammingError):
        with engine.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
                                {"s": schema}).first():
                raise


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")     # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")   # wait for another writer instead of failing at once
    cursor.close()
