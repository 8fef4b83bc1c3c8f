{#
    Step 4: outlier treatment as COINr does it (winsorisation with the log fallback), for
    the metrics that declare `treatment = winsorise`; the others pass through. The method and
    its two algorithms (O(N) by default, a windowed chain on Spark) are in
    macros/scoring/treatment.sql.
#}
{{ treated_values() }}
