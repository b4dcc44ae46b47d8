"""The data-quality report as plain static HTML: complete offline, no script, no external file.

Great Expectations' Data Docs build their index table with scripts from public CDNs
(blank without internet). This report is the desk's own, written by publish after each
gate run under `<reports dir>/data_quality/`:

- `index.html`: the latest run's verdict, then every run of the last `keep_days` days
  (from the results tables) with its counts, and the partitions that did not pass or
  were flagged, in plain words (include/validation/plain_words.py).
- `runs/<run>.html`: one run's partitions, what failed or was flagged, with sample rows
  and where a quarantined partition's candles and reason are.

Each page is written atomically (a reader never sees half a page) under a lock, so two
publishes (an hourly ingest during a backfill) never interleave their index.
"""
from __future__ import annotations

import html
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from include.atomic import write_text_atomic
from include.config.schema import Validation
from include.landing.store import day_dir, file_lock
from include.paths import DataPaths
from include.validation.gate import Verdict
from include.validation.plain_words import describe, describe_list

INDEX = "index.html"
RUNS = "runs"
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#1d2330;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #c9ced8;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#17623a}.flagged{color:#8a5a00}.quarantined{color:#a11d1d;font-weight:600}
.verdict{font-size:1.1em;padding:.6em 1em;border-left:.4em solid #c9ced8;background:#f7f8fa}
.verdict.bad{border-color:#a11d1d}.verdict.warn{border-color:#d49a00}.verdict.good{border-color:#17623a}
code{font-size:.9em}small{color:#5a6170}
"""


def run_page(folder: Path, run_key: str) -> Path:
    """Where one run's page is (the validate task names it before publish writes it)."""
    return Path(folder) / RUNS / f"{run_key}.html"


def write_report(paths: DataPaths, folder: Path, run_key: str, verdicts: list[Verdict], keep_days: int = 14,
                 rules: Validation | None = None) -> Path:
    """Write this run's page and rebuild the index; returns the index's path."""
    folder = Path(folder)
    with file_lock(paths.locks / "data_quality_report.lock"):
        _prune(folder / RUNS, keep_days)
        write_text_atomic(_run_html(paths, run_key, verdicts), run_page(folder, run_key))
        write_text_atomic(_index_html(paths, folder, run_key, verdicts, keep_days, rules), folder / INDEX)
    return folder / INDEX


def _prune(runs: Path, keep_days: int) -> None:
    cutoff = time.time() - keep_days * 86_400
    for page in runs.glob("*.html") if runs.is_dir() else []:
        if page.stat().st_mtime < cutoff:
            page.unlink(missing_ok=True)


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: Iterable[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>", *body, "</body></html>", "",
    ])


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(passed: bool, flagged: bool) -> str:
    if not passed:
        return '<span class="quarantined">quarantined</span>'
    return '<span class="flagged">passed, flagged</span>' if flagged else '<span class="passed">passed</span>'


def verdict_sentence(partitions: int, passed: int, flagged: int, quarantined: int) -> tuple[str, str]:
    """(css class, sentence) of a run: a run that quarantined everything it landed never reads as a success."""
    if partitions == 0:
        return "warn", "No partition was validated."
    if passed == 0:
        return "bad", f"Nothing passed: all {partitions} partitions were quarantined."
    sentence = f"{passed} of {partitions} partitions passed"
    sentence += f" ({flagged} flagged)" if flagged else ""
    sentence += f"; {quarantined} quarantined." if quarantined else "."
    return ("bad" if quarantined else "warn" if flagged else "good"), sentence


def _entries(entries: list[dict]) -> str:
    """Each failed or flagged expectation: plain words, count, sample rows."""
    items = []
    for entry in entries:
        words = describe(entry["expectation"], entry.get("kwargs"))
        count = entry.get("unexpected_count") or 0
        detail = f" ({count} candle{'s' if count != 1 else ''})" if count else ""
        if entry.get("observed_value") is not None:
            detail += f" (observed {_e(entry['observed_value'])})"
        if entry.get("error"):
            detail += f" (check could not run: {_e(entry['error'])})"
        samples = entry.get("sample_rows") or []
        sample = ""
        if samples:
            columns = list(samples[0])
            sample = _table(columns, [[_e(_cell(row.get(c, ""))) for c in columns] for row in samples])
        items.append(f"<li>{_e(words)}{detail} <small><code>{_e(entry['expectation'])}</code></small>{sample}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _cell(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _run_html(paths: DataPaths, run_key: str, verdicts: list[Verdict]) -> str:
    passed = sum(v.passed for v in verdicts)
    flagged = sum(v.passed and bool(v.flagged) for v in verdicts)
    css, sentence = verdict_sentence(len(verdicts), passed, flagged, len(verdicts) - passed)
    rows = [
        [_e(v.series.label), _e(v.day), str(v.rows), _ratio(v.gap_ratio), str(v.missing_candles), _status(v.passed, bool(v.flagged))]
        for v in sorted(verdicts, key=lambda v: (v.passed, not v.flagged, v.series.label, v.day))
    ]
    body = [
        f"<p><a href=\"../{INDEX}\">&larr; all runs</a></p>",
        f"<h1>Data quality: run {_e(run_key)}</h1>",
        f'<p class="verdict {css}">{_e(sentence)}</p>',
        _table(["series", "day", "candles", "missing share", "missing candles", "verdict"], rows, numeric={2, 3, 4}),
    ]
    for v in verdicts:
        if v.passed and not v.flagged:
            continue
        body.append(f"<h2>{_e(v.series.label)} {_e(v.day)}: {_status(v.passed, bool(v.flagged))}</h2>")
        if v.failed:
            body += ["<p>Did not pass:</p>", _entries(v.failed)]
        if v.flagged:
            body += ["<p>Flagged (published, worth a look):</p>", _entries(v.flagged)]
        if not v.passed:
            folder = day_dir(paths.quarantine, v.series, v.day)
            body.append(f"<p><small>Candles and reason: <code>{_e(folder)}/{_e(run_key)}.parquet</code>, "
                        f"<code>{_e(run_key)}.json</code></small></p>")
    return _page(f"Data quality: run {run_key}", body)


def _ratio(value) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1%}"


def _recent_results(paths: DataPaths, keep_days: int) -> pd.DataFrame:
    folder = paths.validation_results
    cutoff = time.time() - keep_days * 86_400
    files = [f for f in folder.glob("run=*.parquet") if f.stat().st_mtime >= cutoff] if folder.is_dir() else []
    frames = [pd.read_parquet(f) for f in files]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _index_html(paths: DataPaths, folder: Path, run_key: str, verdicts: list[Verdict], keep_days: int,
                rules: Validation | None) -> str:
    passed = sum(v.passed for v in verdicts)
    flagged = sum(v.passed and bool(v.flagged) for v in verdicts)
    css, sentence = verdict_sentence(len(verdicts), passed, flagged, len(verdicts) - passed)
    results = _recent_results(paths, keep_days)
    body = [
        "<h1>Data quality</h1>",
        f"<h2>Latest run: <a href=\"{_href(run_key)}\">{_e(run_key)}</a></h2>",
        f'<p class="verdict {css}">{_e(sentence)}</p>',
    ]
    if len(results):
        body += _runs_section(folder, results, keep_days)
        body += _problems_section(folder, results, rules)
    else:
        body.append("<p>No results table yet.</p>")
    body.append("<p><small>Rules: partitions that fail a critical check are quarantined and never reach the "
                "warehouse; flagged partitions (big moves, venues apart) are published and listed here. "
                "Every page of this report works offline.</small></p>")
    return _page("Data quality", body)


def _href(run_key: str) -> str:
    return f"{RUNS}/{quote(run_key)}.html"


def _run_link(folder: Path, run: str) -> str:
    """A link to the run's page while it is kept, its name alone after."""
    return f'<a href="{_href(run)}">{_e(run)}</a>' if run_page(folder, run).is_file() else _e(run)


def _runs_section(folder: Path, results: pd.DataFrame, keep_days: int) -> list[str]:
    results = results.assign(flag=results["passed"] & (results["flagged"].fillna("") != ""))
    runs = (results.groupby("run")
            .agg(validated_at=("validated_at", "max"), partitions=("passed", "size"),
                 passed=("passed", "sum"), flagged=("flag", "sum"))
            .sort_values("validated_at", ascending=False))
    series = results.groupby("run")[["exchange", "symbol", "timeframe"]].apply(lambda f: len(f.drop_duplicates()))
    rows = []
    for run, row in runs.iterrows():
        quarantined = int(row.partitions - row.passed)
        name = _run_link(folder, run)
        css, _ = verdict_sentence(int(row.partitions), int(row.passed), int(row.flagged), quarantined)
        state = {"bad": "quarantined" if row.passed else "nothing passed", "warn": "flagged", "good": "passed"}[css]
        rows.append([name, _e(pd.Timestamp(row.validated_at).strftime("%Y-%m-%d %H:%M UTC")), str(int(series[run])),
                     str(int(row.partitions)), str(int(row.passed)), str(int(row.flagged)), str(quarantined),
                     f'<span class="{ {"bad": "quarantined", "warn": "flagged", "good": "passed"}[css]}">{state}</span>'])
    return [f"<h2>Runs of the last {keep_days} days</h2>",
            _table(["run", "validated", "series", "partitions", "passed", "flagged", "quarantined", "verdict"],
                   rows, numeric={2, 3, 4, 5, 6})]


def _problems_section(folder: Path, results: pd.DataFrame, rules: Validation | None) -> list[str]:
    problems = results[~results["passed"] | (results["flagged"].fillna("") != "")]
    if not len(problems):
        return ["<h2>Partitions that did not pass or were flagged</h2><p>None.</p>"]
    problems = problems.sort_values(["validated_at", "exchange", "symbol", "date"], ascending=[False, True, True, True])
    rows = [
        [_e(f"{r.exchange} {r.symbol} {r.timeframe}"), _e(r.date), _status(bool(r.passed), bool(r.flagged)),
         _e("; ".join(describe_list(r.failed if not r.passed else r.flagged, rules, failed=not r.passed))),
         _run_link(folder, r.run)]
        for r in problems.itertuples()
    ]
    return ["<h2>Partitions that did not pass or were flagged</h2>",
            _table(["series", "day", "verdict", "what was wrong", "run"], rows)]
