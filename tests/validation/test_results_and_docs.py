"""After publish: one results row per partition with the right flags, and a Data Docs site."""
from __future__ import annotations

from include.landing.store import stored_days
from include.paths import DataPaths
from include.validation.gate import validate_series
from include.validation.publish import publish
from include.validation.suite import SUITE_NAME

from .support import RULES, T0, VENUES, day_names, land_sim, results_table, rewrite_candidate, rows_change, sim_series

RUN = "docs_run"


def negative_volume(df):
    df.loc[100, "volume"] = -1.0
    return df, [df.loc[100, "timestamp"]]


def test_results_table_and_data_docs(tmp_path):
    paths = DataPaths(tmp_path / "data")
    days = day_names(T0, 2)
    for venue in VENUES:
        land_sim(paths, RUN, venue, "1m", days=2)
    rewrite_candidate(paths, RUN, sim_series("sim_gamma", "1m"), days[1], rows_change(negative_volume))
    verdicts = []
    for venue in VENUES:
        peers = [p for p in VENUES if p != venue]
        verdicts += validate_series(paths, RUN, sim_series(venue, "1m"), peers, RULES, RULES.max_gap_ratio)

    summary = publish(paths, RUN, verdicts)

    results = results_table(paths, RUN)
    assert len(results) == len(verdicts) == 6
    assert not results.duplicated(["exchange", "symbol", "timeframe", "date"]).any()
    assert set(results["run"]) == {RUN}
    passed = {(r.exchange, r.date): bool(r.passed) for r in results.itertuples()}
    assert passed == {(v, d): not (v == "sim_gamma" and d == days[1]) for v in VENUES for d in days}
    bad = results[~results["passed"]].iloc[0]
    assert bad["failed"] == "expect_column_values_to_be_between(volume)"
    assert (results[results["passed"]]["failed"] == "").all()
    assert {(v.exchange, v.day): v.rows for v in verdicts} == {(r.exchange, r.date): r.rows for r in results.itertuples()}
    assert summary.partitions == 6 and summary.passed == 5
    assert summary.quarantined == [f"sim_gamma BTC/USDT 1m {days[1]}"]
    assert stored_days(paths.raw, sim_series("sim_gamma", "1m")) == [days[0]]

    index = paths.data_docs / "index.html"
    assert summary.data_docs == str(index)
    assert index.is_file()
    html = index.read_text()
    assert f"'_expectation_suite_name_sort': '{SUITE_NAME}'" in html
    for venue in VENUES:
        assert f"{venue}.BTC-USDT.1m" in html  # one validation result per series
    assert f"validations/{SUITE_NAME}/{RUN}/" in html
    assert any((paths.data_docs / "validations" / SUITE_NAME / RUN).rglob("*.html"))
