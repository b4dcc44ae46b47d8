"""Parameter sweeps of one strategy over a universe of series: spec, plan, chunked runs, results.

See docs/backtest.md, section Sweeps. Neither this package nor anything it imports uses Airflow.
"""
from include.sweeps.errors import SweepError
from include.sweeps.plan import Chunk, plan_chunks
from include.sweeps.results import WalkForwardSummary, best, collect, pareto_front, walk_forward_summary
from include.sweeps.run import check_strategy, run_chunk
from include.sweeps.spec import METRICS, SweepSpec, parse_spec

__all__ = [
    "METRICS", "Chunk", "SweepError", "SweepSpec", "WalkForwardSummary", "best", "check_strategy", "collect",
    "pareto_front", "parse_spec", "plan_chunks", "run_chunk", "walk_forward_summary",
]
