"""Compile the sweeps' Numba kernels into their on-disk cache while `make demo` lands data.

    source scripts/airflow_home.sh && python scripts/demo_warmup.py

In a fresh clone the first chunk of nightly_sweep spent about a minute compiling the batch
kernels (njit(cache=True): compiled once per clone, then loaded from include/backtest's
__pycache__). Ingest and the warehouse build keep about one of the machine's cores busy,
so scripts/demo.sh runs this on the other one meanwhile: the first chunk of each configured
sweep, run as nightly_sweep runs it (include.sweeps.run.run_chunk, the same kernel variants
and argument types), on the simulator's candles for the sweep's universe over the window
ingest lands, into a temporary folder that is removed afterwards. Nothing of the demo's
data, warehouse or reports is read or written. Any error exits non-zero: demo.sh then stops.
"""
from __future__ import annotations

import logging
import signal
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from include.checked_config import load_checked_config
from include.config.schema import PeakTradeConfig
from include.sources.factory import make_client
from include.sources.paging import fetch_candles
from include.sweeps.checks import sweep_specs
from include.sweeps.plan import plan_chunks
from include.sweeps.run import run_chunk
from include.sweeps.spec import SweepSpec
from include.timeframes import ceil_ms, to_ms

log = logging.getLogger("demo_warmup")


def simulated_frames(config: PeakTradeConfig, spec: SweepSpec, now: datetime) -> dict[tuple[str, str], pd.DataFrame]:
    """The sweep's universe at its timeframe from the configured sources, over the window ingest lands."""
    start = ceil_ms(to_ms(config.history.start_for(spec.timeframe, now)), spec.timeframe)
    frames = {}
    for ref in spec.universe:
        client = make_client(config, ref.exchange, clock=lambda: to_ms(now))
        frames[ref.key] = fetch_candles(client, ref.symbol, spec.timeframe, start, to_ms(now), to_ms(now))
    return frames


def warm(config: PeakTradeConfig, now: datetime, scratch: Path) -> list[str]:
    """Run the first chunk of every configured sweep in `scratch`; the labels of the chunks run."""
    done = []
    for name, spec in sweep_specs(config, reference=now).items():
        chunk = plan_chunks(spec, len(spec.universe))[0]
        run_chunk(spec, chunk, simulated_frames(config, spec, now), scratch / name)
        done.append(chunk.label)
    return done


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # demo.sh stops it with TERM: the scratch folder goes too
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    began = time.monotonic()
    config = load_checked_config(strategies=True)
    with tempfile.TemporaryDirectory(prefix="peaktrade-warmup-") as scratch:
        done = warm(config, datetime.now(timezone.utc), Path(scratch))
    log.info("compiled the sweep kernels in %.0f s (chunks run: %s)", time.monotonic() - began, ", ".join(done))


if __name__ == "__main__":
    main()
