"""What the trigger forms say about Airflow's own fields (Logical date, Data interval, Backfill).

Airflow 3.3's trigger dialog shows these beside every DAG's params and cannot hide them one by
one: for a DAG with schedule=None it hides the Data interval and greys out Backfill (with a
tooltip), but the Logical date stays. Each DAG's doc_md (shown above the form's fields as the
DAG's docs) ends with the note for its kind, so a desk user knows which fields matter.
"""
from __future__ import annotations

MANUAL_ONLY = """
**The trigger form:** only the fields under *Run parameters* matter. Airflow's own
*Logical date* just names the run (leave it as it is); this DAG has no schedule, so there is
no data interval and *Backfill* is greyed out.
"""

SCHEDULED = """
**The trigger form:** the fields under *Run parameters* are the run's settings. Airflow's own
*Logical date* and *Data interval* only name a manual run (leave them as they are); *Backfill*
re-runs the schedule over a past range, one run per scheduled time.
"""

ASSET_SCHEDULED = """
**The trigger form:** this DAG runs when its input asset is updated and has no settings.
Airflow's own *Logical date*, *Data interval* and *Backfill* do not apply to it: leave them
as they are (a manual run builds from the candles landed so far).
"""


def report_form_note(span: str) -> str:
    return f"""
**The trigger form:** pick the period with *Report date* (empty: {span}). Airflow's own
*Logical date* and *Data interval* only name a manual run (leave them as they are). *Backfill*
over a date range writes one report per scheduled run in it, each for the period that ended
before that run's scheduled time (the *Report date* field is then left empty).
"""


def sweep_label(raw: dict) -> str:
    """"name: strategy on BTC/USDT, ETH/USDT (1h)" for the sweep multi-select, from the raw config entry
    (DAG parsing does not check sweeps: plan_sweeps does, so a malformed entry still gets a label)."""
    universe = raw.get("universe") if isinstance(raw.get("universe"), list) else []
    symbols = sorted({str(u.get("symbol")) for u in universe if isinstance(u, dict) and u.get("symbol")})
    where = f" on {', '.join(symbols)}" if symbols else ""
    timeframe = f" ({raw['timeframe']})" if raw.get("timeframe") else ""
    return f"{raw.get('name')}: {raw.get('strategy', 'unknown strategy')}{where}{timeframe}"
