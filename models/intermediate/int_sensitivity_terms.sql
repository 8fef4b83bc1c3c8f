{#
    The terms of the Sobol' estimators, per output of the sensitivity analysis's Saltelli
    design (stg_uncertainty__scenarios, design 'sensitivity'), one row per edition ×
    framework (peer group) × output × region × choice × base row j:

    - outputs: `mean_abs_rank_shift`, the mean over the peer group's regions of
      |rank in the scenario − nominal rank| (one value per scenario; region_code ''), and
      `composite_rank`, each region's rank (one value per scenario and region);
    - y_a, y_b, y_ab: the output at A_j, B_j and AB_j (A_j with the choice taken from B_j),
      each centred on the mean over all the design's runs — SALib's sobol.analyze
      standardises Y over all runs before estimating; the estimators are ratios, so
      centring on that mean gives its numbers.

    rpt_sensitivity_indices finishes the estimators from these terms.
#}

with

ranks as (
    select * from {{ ref('int_scenario_ranks') }}
),

scenarios as (
    select * from {{ ref('stg_uncertainty__scenarios') }}
    where design = 'sensitivity'
),

nominal as (
    select * from ranks
    where scenario_id = 0
),

outputs as (
    select
        ranks.scenario_id,
        ranks.edition,
        ranks.framework_code,
        'composite_rank' as output_code,
        ranks.region_code,
        cast(ranks.rank as double) as y
    from ranks
    inner join scenarios on ranks.scenario_id = scenarios.scenario_id
    union all
    select
        ranks.scenario_id,
        ranks.edition,
        ranks.framework_code,
        'mean_abs_rank_shift' as output_code,
        '' as region_code,
        {{ stable_sum('cast(abs(ranks.rank - nominal.rank) as double)', 'ranks.region_code') }}
        / count(*) as y
    from ranks
    inner join scenarios on ranks.scenario_id = scenarios.scenario_id
    inner join nominal
        on
            ranks.edition = nominal.edition
            and ranks.region_code = nominal.region_code
    group by ranks.scenario_id, ranks.edition, ranks.framework_code
),

means as (
    select
        edition,
        framework_code,
        output_code,
        region_code,
        {{ stable_sum('y', 'scenario_id') }} / count(y) as y_mean
    from outputs
    group by edition, framework_code, output_code, region_code
),

centred as (
    select
        outputs.edition,
        outputs.framework_code,
        outputs.output_code,
        outputs.region_code,
        scenarios.matrix,
        scenarios.switched_choice,
        scenarios.base_row,
        outputs.y - means.y_mean as y
    from outputs
    inner join scenarios on outputs.scenario_id = scenarios.scenario_id
    inner join means
        on
            outputs.edition = means.edition
            and outputs.framework_code = means.framework_code
            and outputs.output_code = means.output_code
            and outputs.region_code = means.region_code
),

base as (
    select
        edition,
        framework_code,
        output_code,
        region_code,
        base_row,
        max(case when matrix = 'A' then y end) as y_a,
        max(case when matrix = 'B' then y end) as y_b
    from centred
    where matrix in ('A', 'B')
    group by edition, framework_code, output_code, region_code, base_row
),

final as (
    select
        base.edition,
        base.framework_code,
        base.output_code,
        base.region_code,
        switched.switched_choice as choice_code,
        base.base_row,
        base.y_a,
        base.y_b,
        switched.y as y_ab
    from base
    inner join centred as switched
        on
            base.edition = switched.edition
            and base.framework_code = switched.framework_code
            and base.output_code = switched.output_code
            and base.region_code = switched.region_code
            and base.base_row = switched.base_row
    where switched.matrix = 'AB'
)

select * from final
