{#
    Development types (差异化路线): each region's cluster of first-level profiles
    (int_region_clusters_fitted: k-means on the profiles' mix, k by silhouette), with the
    cluster described against the peer group — its mean score on each first-level node minus
    the peer-group mean, in points and in standard deviations — by its most distinctive
    strength and weakness (largest and smallest gap in standard deviations), and a bilingual
    label: "<strength>领先型 / <strength>-led"; "<strength>领先·<weakness>待补型 / <strength>-led,
    <weakness> lagging" where two clusters of the peer group share a strength; 全面领先型 /
    all-round leader (or 全面追赶型 / catching up across the board) when every gap is
    positive (negative); 单一类型 / a single type with one cluster. pc1, pc2 place the
    region on the typology scatter.
#}

with

clusters as (
    select * from {{ ref('int_region_clusters_fitted') }}
),

node_scores as (
    select * from {{ ref('fct_indicator_scores') }}
    where level = 1
),

indicators as (
    select * from {{ ref('dim_indicators') }}
),

node_spread as (
    select
        edition,
        framework_code,
        node_code,
        avg(score) as peer_mean,
        stddev_samp(score) as peer_sd
    from node_scores
    group by edition, framework_code, node_code
),

cluster_profiles as (
    select
        clusters.edition,
        clusters.framework_code,
        clusters.cluster_id,
        node_scores.node_code,
        avg(node_scores.score) - min(node_spread.peer_mean) as gap_points,
        case
            when min(node_spread.peer_sd) > 0
                then (avg(node_scores.score) - min(node_spread.peer_mean)) / min(node_spread.peer_sd)
            else 0.0
        end as gap_sd
    from clusters
    inner join node_scores
        on
            clusters.edition = node_scores.edition
            and clusters.framework_code = node_scores.framework_code
            and clusters.region_code = node_scores.region_code
    inner join node_spread
        on
            node_scores.edition = node_spread.edition
            and node_scores.framework_code = node_spread.framework_code
            and node_scores.node_code = node_spread.node_code
    group by clusters.edition, clusters.framework_code, clusters.cluster_id, node_scores.node_code
),

ordered as (
    select
        *,
        row_number() over (
            partition by edition, framework_code, cluster_id order by gap_sd desc, node_code asc
        ) as from_top,
        row_number() over (
            partition by edition, framework_code, cluster_id order by gap_sd asc, node_code asc
        ) as from_bottom,
        min(gap_sd) over (partition by edition, framework_code, cluster_id) as lowest_gap,
        max(gap_sd) over (partition by edition, framework_code, cluster_id) as highest_gap
    from cluster_profiles
),

described as (
    select
        strength.edition,
        strength.framework_code,
        strength.cluster_id,
        strength.node_code as strength_node_code,
        strength.gap_points as strength_gap_points,
        strength.gap_sd as strength_gap_sd,
        weakness.node_code as weakness_node_code,
        weakness.gap_points as weakness_gap_points,
        weakness.gap_sd as weakness_gap_sd,
        strength.lowest_gap > 0 as is_all_round_leader,
        strength.highest_gap < 0 as is_behind_everywhere
    from ordered as strength
    inner join ordered as weakness
        on
            strength.edition = weakness.edition
            and strength.framework_code = weakness.framework_code
            and strength.cluster_id = weakness.cluster_id
            and weakness.from_bottom = 1
    where strength.from_top = 1
),

named as (
    select
        described.*,
        strengths.name_zh as strength_name_zh,
        strengths.name_en as strength_name_en,
        weaknesses.name_zh as weakness_name_zh,
        weaknesses.name_en as weakness_name_en,
        count(*) over (
            partition by
                described.edition,
                described.framework_code,
                described.strength_node_code,
                described.is_all_round_leader,
                described.is_behind_everywhere
        ) as sharing_label
    from described
    inner join indicators as strengths
        on
            described.framework_code = strengths.framework_code
            and described.strength_node_code = strengths.node_code
    inner join indicators as weaknesses
        on
            described.framework_code = weaknesses.framework_code
            and described.weakness_node_code = weaknesses.node_code
),

labelled as (
    select
        *,
        case
            when is_all_round_leader then '全面领先型'
            when is_behind_everywhere then '全面追赶型'
            when sharing_label > 1 then concat(strength_name_zh, '领先·', weakness_name_zh, '待补型')
            else concat(strength_name_zh, '领先型')
        end as type_name_zh,
        case
            when is_all_round_leader then 'all-round leader'
            when is_behind_everywhere then 'catching up across the board'
            when sharing_label > 1
                then concat(lower(strength_name_en), '-led, ', lower(weakness_name_en), ' lagging')
            else concat(lower(strength_name_en), '-led')
        end as type_name_en
    from named
),

final as (
    select
        clusters.edition,
        clusters.framework_code,
        clusters.region_code,
        clusters.cluster_id,
        clusters.n_clusters,
        cast(count(*) over (
            partition by clusters.edition, clusters.framework_code, clusters.cluster_id
        ) as integer) as cluster_size,
        clusters.silhouette,
        -- one cluster (a peer group of two regions or fewer): no type to tell apart
        case when clusters.n_clusters = 1 then '单一类型' else labelled.type_name_zh end
            as type_name_zh,
        case when clusters.n_clusters = 1 then 'a single type' else labelled.type_name_en end
            as type_name_en,
        labelled.strength_node_code,
        labelled.strength_gap_points,
        labelled.strength_gap_sd,
        labelled.weakness_node_code,
        labelled.weakness_gap_points,
        labelled.weakness_gap_sd,
        clusters.pc1,
        clusters.pc2
    from clusters
    inner join labelled
        on
            clusters.edition = labelled.edition
            and clusters.framework_code = labelled.framework_code
            and clusters.cluster_id = labelled.cluster_id
)

select * from final
