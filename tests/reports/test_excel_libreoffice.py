"""The workbook opens in LibreOffice (headless) and shows the figures with their number formats.

Needs `soffice` (Debian: libreoffice-calc-nogui); without it the test is skipped with
that reason, since openpyxl's own read-back (test_excel.py) cannot prove another
program accepts the file.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest
from pypdf import PdfReader

from include.reports.excel import render_workbook
from include.reports.formatting import money
from tests.reports.support import sample_report

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
def test_libreoffice_opens_every_sheet_and_applies_the_number_formats(tmp_path):
    data = sample_report("weekly")
    workbook = render_workbook(data, tmp_path / "report.xlsx")
    done = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "out"), str(workbook)],
        capture_output=True, text=True, timeout=180)
    converted = tmp_path / "out" / "report.pdf"
    assert done.returncode == 0 and converted.is_file(), done.stdout + done.stderr
    text = "\n".join(page.extract_text() for page in PdfReader(converted).pages)
    assert data.period.title in text
    assert money(data.headline.equity, "USDT") in text  # '#,##0.00 "USDT"' as LibreOffice renders it
    for sheet_marker in ("Needs attention", "Fills", "sma_crossover_1h", "quarantined"):
        assert sheet_marker in text
