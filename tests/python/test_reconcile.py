"""Reconciliation with the 2022 report and the audit of its printed tables, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from _project import digindex


def test_every_region_reconciles_and_rank_differences_have_reasons(con) -> None:  # type: ignore[no-untyped-def]
    rows = con.execute("""select status, count(*), count(reason)
                          from marts.rpt_reconciliation where edition = 2022
                          group by 1""").fetchall()
    by_status = {s: (n, with_reason) for s, n, with_reason in rows}
    assert sum(n for n, _ in by_status.values()) == 250
    assert "score_mismatch" not in by_status
    n_rank, n_reasons = by_status["rank_mismatch"]
    assert n_rank == n_reasons > 0
    # every rank difference comes from an inverted pair the audit reports
    unexplained = con.execute(
        """select r.region_name from marts.rpt_reconciliation r
           where r.status = 'rank_mismatch' and not exists (
               select 1 from marts.rpt_published_table_audit a
               where a.kind = 'inverted_pair' and a.framework_code = r.framework_code
                 and a.regions like '%' || r.region_name || '%')"""
    ).fetchall()
    assert not unexplained


def test_audit_reports_what_reading_the_report_shows(con) -> None:  # type: ignore[no-untyped-def]
    kinds = dict(
        con.execute("""select kind, count(*) from marts.rpt_published_table_audit
                                group by 1""").fetchall()
    )
    assert kinds.get("indicator_name_mismatch") == 1  # 创新能力 vs 创新引领
    assert kinds.get("statement_mismatch") == 1  # 北京中关村科技园 vs 中关村国家自主创新示范区
    assert kinds.get("stated_average_vs_table") == 1  # district: 73.5 stated, 74.08 printed
    assert kinds.get("inverted_pair", 0) > 0 and kinds.get("tied_scores", 0) > 0
    assert "duplicate_rank" not in kinds and "rank_gap" not in kinds


def test_reconcile_cli_prints_the_summary(
    baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digindex(baseline, "reconcile") == 0
    out = capsys.readouterr().out
    assert "scores reproduced at 1 dp" in out
    # the counts are the published summary's, displayed as they are
    assert "district         120      120                        120" in out
    assert "Audit of the printed tables" in out and "inverted_pair" in out
    assert "Peer-group means" in out
