"""The shipped (synthetic) values reproduce what the 2022 report prints.

A calibration consistency check, not evidence of the report's method: the generator works
the values backwards from the printed scores with the pandas oracle, so these hold by
construction unless the pipeline and the oracle disagree by more than the rounding (the
1e-9 comparison of every node score with the oracle is test_differential's)."""

from __future__ import annotations

import pytest

# The county text's stated first-level averages weigh to 62.45 against a stated composite
# of 62.5, so Σ w·(offset error) = 0.05 for any data: 0.05 on every first-level indicator
# is the best possible; 1e-3 allows for the rounding of the raw values to their decimals.
OFFSET_TOLERANCE = 0.05 + 1e-3


def test_every_published_score_is_reproduced_at_one_decimal(con) -> None:  # type: ignore[no-untyped-def]
    rows = con.execute(
        """select p.framework_code, p.region_name, p.printed_score, r.composite_score_1dp,
                  r.composite_score
           from staging.stg_reference__published_rankings p
           left join marts.fct_rankings r
             on r.framework_code = p.framework_code and r.region_name = p.region_name
            and r.edition = p.edition"""
    ).fetchall()
    assert len(rows) == 250
    wrong = [r for r in rows if r[3] is None or r[3] != r[2]]
    assert not wrong, wrong[:10]


def test_tied_printed_scores_keep_the_report_order(con) -> None:  # type: ignore[no-untyped-def]
    ties = con.execute(
        """with p as (
               select p.*, r.composite_score, r.rank,
                      count(*) over (partition by p.framework_code, p.printed_score) as n_tied
               from staging.stg_reference__published_rankings p
               join marts.fct_rankings r
                 on r.edition = p.edition and r.framework_code = p.framework_code
                 and r.region_name = p.region_name)
           select framework_code, printed_score, list(region_name order by printed_rank),
                  list(rank order by printed_rank)
           from p where n_tied > 1 group by 1, 2"""
    ).fetchall()
    assert ties, "the 2022 tables have tied printed scores"
    for fw, score, names, ranks in ties:
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks), (fw, score, names, ranks)


def test_first_level_mean_offsets_match_the_stated_averages(con) -> None:  # type: ignore[no-untyped-def]
    rows = con.execute(
        """with means as (
               select framework_code, node_code, avg(score) as mean_score
               from marts.fct_indicator_scores where level <= 1 and edition = 2022
               group by 1, 2),
           stated as (select * from staging.stg_reference__published_averages)
           select m.framework_code, m.node_code,
                  m.mean_score - c.mean_score as offset_computed,
                  cast(s.stated_average as double)
                  - cast(sc.stated_average as double) as offset_stated
           from means m
           join means c on c.framework_code = m.framework_code and c.node_code = 'composite'
           join stated s on s.framework_code = m.framework_code and s.node_code = m.node_code
           join stated sc on sc.framework_code = m.framework_code and sc.node_code = 'composite'
           where m.node_code != 'composite'"""
    ).fetchall()
    assert len(rows) == 12
    for fw, node, computed, stated in rows:
        assert computed == pytest.approx(stated, abs=OFFSET_TOLERANCE), (fw, node)


def test_rank_follows_the_unrounded_composite(con) -> None:  # type: ignore[no-untyped-def]
    rows = con.execute(
        """select edition || ' ' || framework_code, list(rank order by composite_score desc)
           from marts.fct_rankings group by 1"""
    ).fetchall()
    for fw, ranks in rows:
        assert ranks == list(range(1, len(ranks) + 1)), fw


def test_the_previous_edition_has_the_stated_previous_averages(con) -> None:  # type: ignore[no-untyped-def]
    """The 2022 text states each peer group's average and its change on the previous year
    (districts 73.5, +3.2; counties 62.5, +0.9): the SYNTHETIC 2021 edition's averages are
    the differences at one decimal — over the regions 2021 ranked (100 districts: the
    municipalities' were added in 2022), so the districts' stated change is not
    like-for-like, and the mart says so."""
    rows = con.execute(
        """select framework_code, previous_mean_score, stated_previous_average,
                  is_like_for_like, entered_count
           from marts.rpt_peer_group_changes
           where edition = 2022 and node_code = 'composite' and stated_change is not null"""
    ).fetchall()
    assert {r[0] for r in rows} == {"district", "county"}
    for fw, previous, stated, like_for_like, entered in rows:
        assert round(previous + 1e-9, 1) == pytest.approx(stated, abs=1e-9), fw
        assert like_for_like == (fw == "county") and entered == (20 if fw == "district" else 0)
