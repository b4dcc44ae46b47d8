"""nightly_sweep: the config's parameter sweeps, chunked over Airflow workers, resumable."""
from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from operators.common import default_args, schedules_start
from operators.forms import SCHEDULED, SCHEDULED_SECTION, in_section, sweep_label
from operators.sweep_tasks import plan_sweeps, publish_sweeps, run_sweep_chunk

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time
sweep_names = [raw["name"] for raw in config.sweeps]
sweep_labels = {raw["name"]: sweep_label(raw) for raw in config.sweeps}  # what the multi-select shows

with DAG(
    dag_id="nightly_sweep",
    description="The config's parameter sweeps, chunked over workers, resumable; best parameters to the warehouse.",
    schedule=config.schedules.nightly_sweep,
    start_date=schedules_start(),  # from the first `make airflow`: nothing past runs at once
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    tags=["research", "sweeps", "backtest"],
    params=in_section({
        "sweeps": Param(  # a config without sweeps still parses: the run plans nothing
            # `examples` makes Airflow's form a multi-select of the configured sweeps (not free text)
            sweep_names, type="array", items={"type": "string", "enum": sweep_names or [""]},
            examples=sweep_names, values_display=sweep_labels, minItems=1 if sweep_names else 0,
            title="Sweeps", description="Which of the config's sweeps to run (all by default); pick one or more.",
        ),
    }, SCHEDULED_SECTION),
    doc_md="""
### Nightly parameter sweeps
Every sweep declared under `sweeps:` in the config (strategy, series, timeframe,
parameter space, method, objective, budget) is split into chunks; each chunk is
one mapped task reading the Parquet export of `fct_features` and writing its
trials atomically to `data/sweeps/<sweep>/<run>/<chunk>.parquet`. Clearing a
run (or a retry) skips chunks whose file exists, so a killed sweep resumes.
`publish_sweeps` loads all trials, the best parameters per strategy and symbol
and walk-forward folds (in sample and out of sample) into the warehouse (dbt marts
`fct_sweep_trials`, `fct_sweep_best`, `fct_sweep_walk_forward`) and renders heatmaps
of 2-D parameter slices (PNG, next to the chunk files). Windows declared relative to
the run (`start: 365d`) end at the last complete bar before the run's data interval
end, the same on every re-run. Trigger by hand with the form to run some sweeps now.
""" + SCHEDULED,
):
    chunks = plan_sweeps()
    publish_sweeps(run_sweep_chunk.expand(chunk=chunks))
