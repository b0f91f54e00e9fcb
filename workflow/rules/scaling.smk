# The scaling study's report page — how the working threshold on T(d/D)² moves with D.
#   snakemake --cores 2 --config study=scaling scaling          (or study=scaling_tiny: seconds)
# → reports/<study>/scaling/index.html, threshold_vs_D.png and the CSV tables behind them.

rule scaling_page:
    input:
        summary=f"{DATA}/summary.nc",
        runs=expand(f"{DATA}/runs/{{point}}.nc", point=sorted(POINTS)),
        code=code_inputs("scaling_page"),
    output:
        page=published(f"{REPORTS}/scaling/index.html"),  # the page, through its receipt (provenance.smk)
        figure=f"{REPORTS}/scaling/threshold_vs_D.png",
        thresholds=f"{REPORTS}/scaling/thresholds_per_seed.csv",
        fits=f"{REPORTS}/scaling/trend_fits.csv",
        costs=f"{REPORTS}/scaling/point_costs.csv",
        gains=f"{REPORTS}/scaling/gains.csv",
        best=f"{REPORTS}/scaling/best_s.csv",
        laws=f"{REPORTS}/scaling/growth_laws.csv",
    params:
        report=cisim_config.to_json(CFG["report"]),
        study=NAME,
    conda:
        CONDA_ENV
    log:
        f"{LOGS}/scaling_page/scaling_page.log",
    localrule: True
    script:
        "../scripts/scaling_page.py"


rule scaling:
    input:
        published(f"{REPORTS}/scaling/index.html"),
    localrule: True
