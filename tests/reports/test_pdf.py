"""The PDF report, read back: figures as formatting.py prints them, every section's reason, headers
and footers on every page, charts embedded where they belong, no blank page, and an atomic write."""
from __future__ import annotations

import io
import math
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader

from include import atomic
from include.reports import charts
from include.reports.formatting import money, pct, price, ratio, timestamp
from include.reports.model import NOT_YET
from include.reports.pdf import render_pdf
from include.reports.pdf_sections import split_performers
from tests.reports.support import multi_venue_report, sample_report

PAGES = 5  # title; performance; risk; portfolio and execution; data quality and sweeps
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
EXECUTION = ("positions", "trades", "orders", "fills")


def texts(path: Path) -> list[str]:
    """Each page's text with runs of whitespace (line breaks of wrapped paragraphs) made single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def image_xobjects(path: Path) -> list[int]:
    """Image XObjects in each page's resources."""
    counts = []
    for page in PdfReader(path).pages:
        xobjects = page.get("/Resources", {}).get_object().get("/XObject", {})
        xobjects = xobjects.get_object() if xobjects else {}
        counts.append(sum(1 for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Image"))
    return counts


def ink(path: Path) -> list[float]:
    """Fraction of non-white pixels inside each page's content frame (header and footer bands cut off)."""
    document = pdfium.PdfDocument(str(path))
    try:
        fractions = []
        for index in range(len(document)):
            pixels = document[index].render(scale=0.75, grayscale=True).to_numpy()
            band = pixels.shape[0] * 25 // 297  # about 25 mm of A4's 297 at top and bottom
            fractions.append(float((pixels[band:-band] < 200).mean()))
        return fractions
    finally:
        document.close()


def filled(path: Path) -> list[float]:
    """Per page, the share of the content frame's height its ink spans (first to last non-white row),
    header and footer bands cut off: 0.3 is a page whose lower 70 % is empty."""
    document = pdfium.PdfDocument(str(path))
    try:
        shares = []
        for index in range(len(document)):
            pixels = document[index].render(scale=0.5, grayscale=True).to_numpy()
            top, bottom = pixels.shape[0] * 22 // 297, pixels.shape[0] * (297 - 18) // 297  # MARGINS in mm
            rows = (pixels[top:bottom] < 230).any(axis=1).nonzero()[0]
            shares.append(float(rows[-1] - rows[0] + 1) / (bottom - top) if len(rows) else 0.0)
        return shares
    finally:
        document.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, object]]:
    folder = tmp_path_factory.mktemp("pdf")
    reports = {"daily": sample_report("daily"), "weekly": sample_report("weekly"),
               "empty": sample_report("daily", empty=True), "venues": multi_venue_report("weekly"),
               "venues_daily": multi_venue_report("daily")}
    return {name: (render_pdf(data, folder / f"{name}.pdf"), data) for name, data in reports.items()}


@pytest.mark.parametrize("name", ["daily", "weekly", "empty", "venues", "venues_daily"])
def test_page_count_is_expected_and_stable(rendered, name, tmp_path):
    path, data = rendered[name]
    again = render_pdf(data, tmp_path / "again.pdf")
    assert len(PdfReader(path).pages) == len(PdfReader(again).pages) == (3 if name == "empty" else PAGES)
    assert texts(path) == texts(again)


@pytest.mark.parametrize("name", ["daily", "weekly"])
def test_first_page_carries_every_headline_figure_as_formatted(rendered, name):
    path, data = rendered[name]
    h, currency = data.headline, data.currency
    expected = [money(h.equity, currency), money(h.pnl, currency), pct(h.period_return), pct(h.annual_return),
                pct(h.annual_volatility), ratio(h.sharpe_ratio), ratio(h.sortino_ratio), ratio(h.calmar_ratio),
                pct(h.max_drawdown), pct(h.var_95), pct(h.var_99), pct(h.cvar_95), pct(h.cvar_99), pct(h.drawdown),
                f"{h.breaker_state} (level {h.breaker_level})", f"{h.metrics_window_days} days",
                data.period.title, *data.attention]
    first = texts(path)[0]
    for text in expected:
        assert " ".join(text.split()) in first, text
    assert "Nothing needs attention" not in first


def test_headline_figures_are_to_the_cent_and_the_basis_point(rendered):
    path, data = rendered["daily"]
    first = texts(path)[0]
    assert f"{data.headline.equity:,.2f} USDT" in first
    assert f"{data.headline.period_return * 100:.2f} %" in first


def test_every_page_has_page_n_of_m_the_period_and_the_generation_time(rendered):
    for path, data in rendered.values():
        pages = texts(path)
        period = f"{data.period.start.isoformat()} to {data.period.end.isoformat()}"
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in text
            assert period in text
            assert "Generated 2024-06-03 06:30 UTC" in text


@pytest.mark.parametrize("name", ["daily", "empty"])
def test_execution_tables_say_there_are_no_paper_trades_yet(rendered, name):
    path, _ = rendered[name]
    text = " ".join(texts(path))
    for what in EXECUTION:
        assert NOT_YET.format(what=what) in text


def test_empty_report_says_why_each_section_has_no_data_and_has_no_charts(rendered):
    path, data = rendered["empty"]
    pages = texts(path)
    assert data.missing["headline"] in pages[0]
    assert "Nothing needs attention." in pages[0]
    assert "n/a" in pages[0] and "unknown" in pages[0]
    whole = " ".join(pages)
    for section, reason in data.missing.items():
        assert reason in whole, section
    assert sum(image_xobjects(path)) == 0


def test_no_page_is_blank(rendered):
    for path, _ in rendered.values():
        assert all(fraction > 0.002 for fraction in ink(path)), (path.name, ink(path))


def test_charts_are_embedded_on_their_pages(rendered):
    path, _ = rendered["weekly"]
    pages, images = texts(path), image_xobjects(path)
    assert images[0] == 1  # page 1: equity and drawdown of the last 90 days, where it fits
    for heading, count in (("Equity and drawdown", 2), ("Volatility", 2), ("Allocation", 1)):
        page = next(i for i, text in enumerate(pages[1:], start=1) if heading in text)
        assert images[page] == count, heading
    assert sum(images) == 6


def test_sections_with_data_show_their_rows(rendered):
    path, data = rendered["weekly"]
    whole = " ".join(texts(path))
    top, bottom = split_performers(data.performers)
    for row in pd.concat([top, bottom]).itertuples():
        assert f"{row.series} {pct(row.period_return)} {price(row.close)}" in whole
    for row in data.stress.itertuples():
        assert row.scenario in whole and pct(row.portfolio_return) in whole
    for row in data.quality[data.quality.status != "passed"].itertuples():
        assert row.detail in whole
    assert "fast=20, slow=100" in whole
    assert "survives deflation" in whole and "likely luck" in whole and "DSR 0.62, PBO 0.58" in whole
    assert "Nothing needs attention" not in whole


def test_sweep_heatmaps_are_embedded_and_missing_ones_named(tmp_path):
    data = sample_report("daily")
    heatmap = tmp_path / "sma_crossover_1h_heatmap.png"
    heatmap.write_bytes(charts.allocation_chart(data.allocation))
    absent = tmp_path / "gone_heatmap.png"
    data.sweep_heatmaps = [heatmap, absent]
    path = render_pdf(data, tmp_path / "sweeps.pdf")
    pages, images = texts(path), image_xobjects(path)
    last = next(i for i, text in enumerate(pages) if "Sweep heatmaps" in text)
    assert f"Sweep heatmap not found: {absent}" in " ".join(pages[last:])
    assert sum(images[last:]) == 1 and sum(images) == 7  # the heatmap that exists; the absent one is a line


def test_breaker_above_normal_is_on_the_first_page(tmp_path):
    data = sample_report("daily")
    data.headline = replace(data.headline, breaker_level=2)
    first = texts(render_pdf(data, tmp_path / "halve.pdf"))[0]
    assert "halve (level 2)" in first


@pytest.mark.parametrize("failing", ["chart", "replace"])
def test_failed_render_leaves_no_temporary_file_and_the_previous_pdf(tmp_path, monkeypatch, failing):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF- the previous report")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    if failing == "chart":  # while the document is laid out, the temporary file already open
        monkeypatch.setattr(charts, "volatility_chart", boom)
    else:  # the temporary file is complete, moving it onto the report fails (the atomic writer's view of os only)
        monkeypatch.setattr(atomic, "os", SimpleNamespace(replace=boom, fsync=os.fsync))
    with pytest.raises(RuntimeError, match="boom"):
        render_pdf(sample_report("daily"), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]
    assert path.read_bytes() == b"%PDF- the previous report"


def test_success_replaces_the_previous_pdf_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"old")
    assert render_pdf(sample_report("daily", empty=True), path) == path
    assert path.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_charts_are_png_or_none_when_their_frame_is_empty():
    data, empty = sample_report("weekly"), sample_report("weekly", empty=True)
    h = data.headline
    drawn = [charts.equity_chart(data.equity, "USDT"), charts.returns_histogram(data.returns, h.var_95, h.var_99),
             charts.volatility_chart(data.rolling, data.regimes), charts.correlation_heatmap(data.correlation),
             charts.allocation_chart(data.allocation)]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in drawn)
    assert [charts.equity_chart(empty.equity, "USDT"), charts.returns_histogram(empty.returns, None, None),
            charts.volatility_chart(empty.rolling, empty.regimes), charts.correlation_heatmap(empty.correlation),
            charts.allocation_chart(empty.allocation)] == [None] * 5


def test_performers_are_top_and_bottom_five_without_repeats():
    frame = pd.DataFrame({"series": [f"s{i}" for i in range(12)], "period_return": np.linspace(-0.1, 0.1, 12),
                          "close": 1.0})
    top, bottom = split_performers(frame)
    assert list(top.series) == ["s11", "s10", "s9", "s8", "s7"]
    assert list(bottom.series) == ["s0", "s1", "s2", "s3", "s4"]
    top, bottom = split_performers(frame.head(3))
    assert list(top.series) == ["s2", "s1"] and list(bottom.series) == ["s0"]


def test_money_has_cents_thousands_separators_and_a_minus_sign():
    assert money(131_667.26843733242, "USDT") == "131,667.27 USDT"
    assert money(-2_690.3116031615937, "USDT") == "-2,690.31 USDT"
    assert money(1_234_567.891, "EUR") == "1,234,567.89 EUR"
    assert money(0.004, "USDT") == "0.00 USDT"
    assert money(np.float64(12.345678), "USDT") == "12.35 USDT"


def test_percentages_are_to_the_basis_point_and_ratios_to_two_decimals():
    assert pct(0.016108) == "1.61 %"
    assert pct(-0.020023519345546137) == "-2.00 %"
    assert pct(0.000149) == "0.01 %" and pct(0.000151) == "0.02 %"
    assert pct(2.8979670613623005) == "289.80 %"
    assert ratio(3.098215053252232) == "3.10"
    assert ratio(-0.5049) == "-0.50"


def test_rounding_is_pythons_format_of_the_float():
    for x in (2.675, 1.005, 0.125, 1_000.495, -7.775):
        assert money(x, "USDT") == f"{x:,.2f} USDT"
        assert pct(x / 100) == f"{x / 100 * 100:,.2f} %"
        assert ratio(x) == f"{x:,.2f}"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, math.inf, -math.inf])
def test_missing_values_are_n_a(missing):
    assert money(missing, "USDT") == pct(missing) == ratio(missing) == price(missing) == "n/a"


def test_prices_and_timestamps():
    assert price(67_123.45) == "67,123.45" and price(0.5123) == "0.5123"
    assert timestamp(datetime(2024, 6, 3, 8, 30, 59, tzinfo=timezone(timedelta(hours=2)))) == "2024-06-03 06:30 UTC"
    assert timestamp(datetime(2024, 6, 3, 6, 30)) == "2024-06-03 06:30 UTC"


def test_no_page_but_the_last_is_more_than_half_empty(rendered):
    """Every page rendered to pixels (pypdfium2): its ink spans at least half the content frame."""
    for name, (path, _) in rendered.items():
        shares = filled(path)
        assert all(share >= 0.5 for share in shares[:-1]), (name, [round(x, 2) for x in shares])


def test_page_one_of_each_report_is_saved_for_the_docs(rendered):
    """docs/images/report_{daily,weekly}_p1.png: page 1 as a reader sees it over the demo's universe (five
    coins on three venues), regenerated by this test."""
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    for name, source in (("daily", "venues_daily"), ("weekly", "venues")):
        document = pdfium.PdfDocument(str(rendered[source][0]))
        try:
            image = document[0].render(scale=1.25).to_pil()
        finally:
            document.close()
        image.save(DOCS_IMAGES / f"report_{name}_p1.png", optimize=True)
        assert image.size[1] > image.size[0]  # A4 portrait


def test_page_one_says_whose_money_it_is_and_the_breaker_levels(rendered):
    first = texts(rendered["daily"][0])[0]
    assert "Whose money: not the desk's." in first and "BENCHMARK, the equal-weight universe portfolio" in first
    assert "level 0 normal; 1 warn at 5%; 2 halve" in first and "3 halt" in first
    assert "Biggest movers of the period" in first
    data = rendered["daily"][1]
    assert f"Drawdown from the peak of {data.headline.peak_date}" in first


def test_coins_on_several_venues_read_as_assets_with_venue_detail(rendered):
    path, data = rendered["venues"]
    pages = texts(path)
    assert "Biggest movers of the period, by asset (mean over its venues)" in pages[0]
    whole = " ".join(pages)
    assert "Performers by asset, best first" in whole and "Venues of one coin" in whole
    for row in data.assets.itertuples():
        assert f"{row.asset} 3 {pct(row.period_return)} {pct(row.lowest)} to {pct(row.highest)}" in whole
    for row in data.venues.itertuples():
        assert f"{row.asset} 3 {row.basis_bps:,.1f} {row.cheapest} {row.dearest} {ratio(row.min_correlation)}" in whole


def test_stress_scenarios_show_amounts_and_a_reason_for_every_n_a(tmp_path):
    data = sample_report("daily")
    data.stress.loc[4, ["portfolio_return", "amount", "note"]] = [None, None, "moves volatility, not prices"]
    whole = " ".join(texts(render_pdf(data, tmp_path / "stress.pdf")))
    for row in data.stress.itertuples():
        if pd.notna(row.portfolio_return):
            assert f"{pct(row.portfolio_return)} {money(row.amount, 'USDT')}" in whole
    assert "n/a n/a moves volatility, not prices" in whole


def test_each_quality_heading_is_only_over_rows_of_its_status(rendered):
    whole = " ".join(texts(rendered["weekly"][0]))
    quarantined = whole.index("Partitions that did not pass")
    flagged = whole.index("Partitions that passed with a warning")
    gaps = whole.index("Missing candles, per series and day")
    assert quarantined < flagged < gaps
    assert "high below low in 3 rows" in whole[quarantined:flagged]
    assert "6.2 sigma" in whole[flagged:gaps] and "6.2 sigma" not in whole[quarantined:flagged]
    assert "no candles 03:00" in whole[gaps:]


def test_the_weekly_charts_shade_the_week():
    data = sample_report("weekly")
    week = (data.period.start, data.period.end)
    plain, shaded = (np.asarray(Image.open(io.BytesIO(charts.equity_chart(data.equity, "USDT", shade=s))).convert("L"))
                     for s in (None, week))
    # the band is a light grey (0.88) filling most of a column's height; the plain chart has none
    band = [np.nonzero((np.abs(image.astype(int) - 224) <= 3).mean(axis=0) > 0.3)[0] for image in (plain, shaded)]
    assert len(band[0]) == 0 and len(band[1]) > 0
    assert band[1].min() > plain.shape[1] * 0.8  # at the right end: the last 7 of 200 days


def test_the_sweep_section_states_which_runs_it_shows(rendered):
    path, data = rendered["daily"]
    assert "Which runs: each sweep's latest run loaded by" in " ".join(texts(path))
