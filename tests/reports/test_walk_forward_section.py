"""The reports' sweep section puts walk-forward results first and, within them, out of sample first;
the reader of the fct_sweep_walk_forward export averages each sweep's latest run over its folds."""
from __future__ import annotations

from datetime import datetime, timezone

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from include.paths import DataPaths
from include.reports.excel import render_workbook
from include.reports.export_readers import WALK_FORWARD_COLUMNS, walk_forward_before
from include.reports.formatting import pct, ratio
from include.reports.pdf import render_pdf
from tests.reports.support import sample_report


def test_the_pdf_shows_out_of_sample_before_in_sample(tmp_path):
    data = sample_report(kind="daily")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(render_pdf(data, tmp_path / "r.pdf")).pages)
    out_of_sample = text.index("Out of sample: walk-forward sweeps")
    in_sample = text.index("Best parameters found overnight (in sample)")
    assert out_of_sample < in_sample
    row = data.sweeps_walk_forward.iloc[0]
    section = text[out_of_sample:in_sample]
    assert section.index("OOS Sharpe") < section.index("IS Sharpe")
    assert section.index(ratio(row.oos_sharpe_ratio)) < section.index(ratio(row.is_sharpe_ratio))
    assert pct(row.oos_total_return) in section and "rolling, 9 folds" in section


def test_the_pdf_names_why_there_is_no_walk_forward(tmp_path):
    data = sample_report(kind="daily", empty=True)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(render_pdf(data, tmp_path / "e.pdf")).pages)
    assert f"Out of sample: walk-forward sweeps No data: {data.missing['walk_forward']}." in text


def test_the_workbook_has_the_walk_forward_sheet_before_sweeps_out_of_sample_first(tmp_path):
    data = sample_report(kind="weekly")
    book = openpyxl.load_workbook(render_workbook(data, tmp_path / "r.xlsx"))
    assert book.sheetnames.index("WalkForward") < book.sheetnames.index("Sweeps")
    ws = book["WalkForward"]
    assert "out of sample first" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header == WALK_FORWARD_COLUMNS
    assert max(i for i, h in enumerate(header) if h.startswith("oos_")) < min(
        i for i, h in enumerate(header) if h.startswith("is_"))
    values = {h: ws.cell(3, i + 1).value for i, h in enumerate(header)}
    assert values["oos_sharpe_ratio"] == 0.42 and values["is_sharpe_ratio"] == 1.37 and values["folds"] == 9


def fold_rows(sweep: str, loaded: str, oos_sharpe: list[float]) -> list[dict]:
    return [{"sweep": sweep, "strategy": "sma_crossover", "timeframe": "1h", "scheme": "rolling", "fold": k,
             "loaded_at": pd.Timestamp(loaded, tz="UTC"), "oos_sharpe_ratio": v, "oos_total_return": 0.01 * k,
             "oos_max_drawdown": -0.1, "is_sharpe_ratio": 1.0, "is_total_return": 0.02, "is_max_drawdown": -0.05,
             "degradation_sharpe_ratio": None if v is None else v - 1.0} for k, v in enumerate(oos_sharpe)]


def test_each_sweeps_latest_run_before_the_cutoff_averaged_over_its_folds(tmp_path):
    rows = (fold_rows("a", "2024-06-01 02:00", [0.5, None, 1.5])  # a NULL fold is skipped, not zero
            + fold_rows("a", "2024-06-03 02:00", [9.0])  # after the cutoff
            + fold_rows("a", "2024-05-31 02:00", [7.0, 7.0])  # an older run
            + fold_rows("b", "2024-06-02 02:00", [-0.5, 0.5]))
    path = DataPaths(tmp_path).export("fct_sweep_walk_forward")
    path.parent.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(path)
    summary = walk_forward_before(tmp_path, datetime(2024, 6, 2, 12, tzinfo=timezone.utc))
    assert list(summary.columns) == WALK_FORWARD_COLUMNS
    assert list(summary["sweep"]) == ["a", "b"] and list(summary["folds"]) == [3, 2]
    assert summary["oos_sharpe_ratio"].tolist() == pytest.approx([1.0, 0.0])
    assert summary["oos_total_return"].tolist() == pytest.approx([0.01, 0.005])
    assert summary["degradation_sharpe_ratio"].tolist() == pytest.approx([0.0, -1.0])


def test_no_export_yet_is_an_empty_frame_with_the_columns(tmp_path):
    assert list(walk_forward_before(tmp_path, datetime(2024, 6, 2, tzinfo=timezone.utc)).columns) == \
        WALK_FORWARD_COLUMNS
