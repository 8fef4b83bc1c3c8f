-- Every region's rank summary is ordered: best ≤ 5th percentile ≤ median ≤ 95th percentile
-- ≤ worst, and its mean lies between its best and worst rank.
select *
from {{ ref('fct_rank_uncertainty') }}
where not (
        rank_best <= rank_p05
        and rank_p05 <= rank_median
        and rank_median <= rank_p95
        and rank_p95 <= rank_worst
        and rank_mean between rank_best and rank_worst
    )
