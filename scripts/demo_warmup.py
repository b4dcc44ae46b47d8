"""Compile the sweeps' Numba kernels into their on-disk cache while `make demo` lands data.

    source scripts/airflow_home.sh && python scripts/demo_warmup.py

In a fresh clone the first chunk of nightly_sweep spent about a minute compiling the batch
kernels (njit(cache=True): compiled once per clone, then loaded from include/backtest's
__pycache__). Ingest and the warehouse build keep about one of the machine's cores busy,
so scripts/demo.sh runs this on the other one meanwhile: the first chunk of each configured
sweep, run as nightly_sweep runs it (include.sweeps.run.run_chunk, the same kernel variants
and argument types), on the simulator's candles over the window ingest lands, into a temporary
folder that is removed afterwards. The candles always come from the offline simulator (a
universe on another source gets a simulated stand-in: the kernels compile for the types, not
the prices), so this never calls out. Nothing of the demo's data, warehouse or reports is read
or written. Any error exits non-zero: demo.sh then stops.
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
from include.sources.paging import fetch_candles
from include.sources.sim.catalogue import TIMEFRAMES, VENUES
from include.sources.sim.exchange import SimExchange
from include.sweeps.checks import sweep_specs
from include.sweeps.plan import plan_chunks
from include.sweeps.run import run_chunk
from include.sweeps.spec import SweepSpec
from include.timeframes import ceil_ms, to_ms

log = logging.getLogger("demo_warmup")


def simulated_frames(config: PeakTradeConfig, spec: SweepSpec, now: datetime) -> dict[tuple[str, str], pd.DataFrame]:
    """The sweep's universe at its timeframe from the simulator, over the window ingest lands."""
    start, now_ms = ceil_ms(to_ms(config.history.start_for(spec.timeframe, now)), spec.timeframe), to_ms(now)
    frames = {}
    for ref in spec.universe:
        client = SimExchange(ref.exchange if ref.exchange in VENUES else next(iter(VENUES)), config.simulator.seed,
                             clock=lambda: now_ms)
        symbol = ref.symbol if ref.symbol in client.symbols else client.symbols[0]
        frames[ref.key] = fetch_candles(client, symbol, spec.timeframe, start, now_ms, now_ms)
    return frames


def warm(config: PeakTradeConfig, now: datetime, scratch: Path) -> list[str]:
    """Run the first chunk of every configured sweep in `scratch`; the labels of the chunks run."""
    done = []
    for name, spec in sweep_specs(config, reference=now).items():
        if spec.timeframe not in TIMEFRAMES:  # nothing to simulate: its first chunk compiles in nightly_sweep
            log.info("%s: the simulator has no %s candles; not compiled ahead", name, spec.timeframe)
            continue
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
