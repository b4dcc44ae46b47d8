"""The data-quality report opens complete offline and says what was wrong in plain words.

Two ingest runs through the façade (land, validate, publish) on the simulator: in the first, one
venue's day jumps 50% that the others do not confirm and another's has a negative volume (both
quarantined), while a third trades 2% above the others all day (flagged).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from include.config.loader import parse_config
from include.ingest import data_quality_dir, land, paths_for, plan_incremental, publish, validate
from include.validation.html_report import run_page, verdict_sentence

from .support import rewrite_candidate, rows_change, sim_series

FIRST, SECOND = "run_first", "run_second"
NOW = datetime(2024, 3, 4, 0, 30, tzinfo=timezone.utc)


def jump(df):
    df.loc[12, ["high", "close"]] *= 1.5
    return df, [df.loc[12, "timestamp"]]


def premium(df):
    df[["open", "high", "low", "close"]] *= 1.02
    return df, list(df.timestamp)


def negative_volume(df):
    df.loc[5, "volume"] = -1.0
    return df, [df.loc[5, "timestamp"]]


def ingest(config, run: str, now: datetime, corrupt=None):
    landings = [land(config, job, run) for job in plan_incremental(config, now)]
    for change in corrupt or []:
        change()
    outcomes = [validate(config, landing) for landing in landings]
    return outcomes, publish(config, run)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("dq")
    config = parse_config({
        "data_dir": str(root / "data"), "reports": {"dir": str(root / "reports")},
        "universe": {"symbols": ["BTC/USDT"], "timeframes": ["1h"],
                     "exchanges": [{"id": v, "source": "sim"} for v in ("sim_alpha", "sim_beta", "sim_gamma")]},
        "history": {"start": {"1h": "3d"}},
    })
    mp = pytest.MonkeyPatch()  # the test session points PEAKTRADE_*_DIR elsewhere: this config's dirs apply here
    mp.delenv("PEAKTRADE_DATA_DIR")
    mp.delenv("PEAKTRADE_REPORTS_DIR")
    paths = paths_for(config)
    corrupt = [
        lambda: rewrite_candidate(paths, FIRST, sim_series("sim_alpha"), "2024-03-02", rows_change(jump)),
        lambda: rewrite_candidate(paths, FIRST, sim_series("sim_gamma"), "2024-03-03", rows_change(negative_volume)),
        lambda: rewrite_candidate(paths, FIRST, sim_series("sim_beta"), "2024-03-02", rows_change(premium)),
    ]
    first = ingest(config, FIRST, NOW, corrupt)
    second = ingest(config, SECOND, NOW.replace(hour=3))
    yield config, first, second
    mp.undo()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.links += [(tag, value) for name, value in attrs if name in ("href", "src") and value]


def test_report_is_where_the_reports_are_and_named_by_the_tasks(report):
    config, (outcomes, summary), _ = report
    folder = data_quality_dir(config)
    assert folder == Path(config.reports.dir) / "data_quality"
    assert summary.report == str(folder / "index.html")
    assert f"report: {summary.report}" in summary.line()
    assert {o["report"] for o in outcomes} == {str(run_page(folder, FIRST))}
    assert run_page(folder, FIRST).is_file()


def test_every_page_opens_offline_and_every_link_resolves(report):
    folder = data_quality_dir(report[0])
    pages = sorted(folder.rglob("*.html"))
    assert {p.relative_to(folder).as_posix() for p in pages} == {"index.html", f"runs/{FIRST}.html", f"runs/{SECOND}.html"}
    for page in pages:
        parser = Links()
        parser.feed(page.read_text())
        assert not parser.tags & {"script", "link", "img", "iframe"}, f"{page}: {parser.tags}"
        assert parser.links, page
        for tag, target in parser.links:
            parts = urlsplit(target)
            assert not parts.scheme and not parts.netloc, f"{page}: <{tag}> points outside: {target}"
            assert (page.parent / unquote(parts.path)).resolve().is_file(), f"{page}: broken link {target}"


def test_index_says_what_was_wrong_in_plain_words(report):
    index = (data_quality_dir(report[0]) / "index.html").read_text()
    assert "a big move the other venues did not confirm" in index
    assert "away from the other venues&#x27; median" in index
    assert "a negative volume" in index
    assert "expect_column_values_to_be_between" not in index
    assert index.count(f'href="runs/{FIRST}.html"') >= 3  # the runs table and each problem row
    assert index.index(SECOND) < index.index(FIRST)  # newest run first
    assert "Latest run: <a href=\"runs/run_second.html\">" in index


def test_run_page_shows_the_failure_only_over_the_failing_partition(report):
    page = run_page(data_quality_dir(report[0]), FIRST).read_text()
    assert "7 of 9 partitions passed (2 flagged); 2 quarantined." in page  # 3 venues x 3 days; gamma sits 2% from beta that day too
    assert not re.search(r"\d\.\d{7,}", page)  # sample values rounded to 6 digits
    assert page.count("Did not pass:") == 2
    failing = page.index("sim_gamma BTC/USDT 1h 2024-03-03")
    assert page.find("Did not pass:", failing) > failing and "a negative volume" in page[failing:]
    assert "Flagged (published, worth a look):" in page
    assert "quarantine" in page and f"{FIRST}.parquet" in page


def test_validate_outcome_names_the_failure(report):
    outcomes = {o["series"]: o for o in report[1][0]}
    gamma = outcomes["sim_gamma BTC/USDT 1h"]
    assert gamma["quarantined"] == 1 and gamma["failures"] == ["2024-03-03 (a negative volume)"]
    assert "a big move the other venues did not confirm" in outcomes["sim_alpha BTC/USDT 1h"]["failures"][0]
    assert outcomes["sim_beta BTC/USDT 1h"]["flags"][0].startswith("2024-03-02 (a close more than 100 bp")


def test_a_run_that_quarantined_everything_never_reads_as_success():
    assert verdict_sentence(4, 0, 0, 4) == ("bad", "Nothing passed: all 4 partitions were quarantined.")
    assert verdict_sentence(4, 3, 1, 1)[0] == "bad"
    assert verdict_sentence(4, 4, 1, 0) == ("warn", "4 of 4 partitions passed (1 flagged).")
    assert verdict_sentence(0, 0, 0, 0)[0] == "warn"
