"""What the trigger forms say about Airflow's own fields (Logical Date, Data Interval, Backfill).

Airflow 3.3's trigger dialog shows these above every DAG's params and cannot hide them one by
one: for a DAG with schedule=None it hides the Data Interval and greys out Backfill (with a
tooltip), but the Logical Date stays. The dialog does not show the DAG's docs, so the first of the
project's fields says in its description what Airflow's fields above it do (`in_section`), and
each DAG's doc_md (the DAG page's docs) ends with the longer note for its kind.
"""
from __future__ import annotations

MANUAL_ONLY = """
**The trigger form:** only the fields under *Run Parameters* matter. Airflow's own
*Logical date* just names the run (leave it as it is); this DAG has no schedule, so there is
no data interval and *Backfill* is greyed out.
"""

SCHEDULED = """
**The trigger form:** the fields under *Run Parameters* are the run's settings. Airflow's own
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


# What the first field of a trigger form adds to its description: it sits right under Airflow's own fields.
# (A Param `section` would say it as a title, but Airflow 3.3 renders a named section collapsed.)
MANUAL_SECTION = "Airflow's Logical Date above only names the run."
SCHEDULED_SECTION = "Airflow's Logical Date and Data Interval above only name the run."
REPORT_SECTION = "Airflow's Logical Date and Data Interval above only name the run: pick the period here."


def in_section(params: dict, note: str) -> dict:
    """The DAG's params, the first one's description ending with `note` (what Airflow's fields above do)."""
    first = next(iter(params.values()))
    first.description = f"{first.description} {note}" if first.description else note
    return params
