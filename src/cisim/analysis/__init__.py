"""The analysis layer: tables of numbers from gathered datasets, and the decisions made on them.

stats      means with confidence intervals, least-squares fits (the one home of each estimator)
criteria   the one definition of "a point works" (`works`) and its margins
tables     tidy tables of one grid or the main network (`cisim.datasets.tidy` underneath)
frontier   capacity T* of every design: the crossing of the works margin along a T sweep
costs      the no-superposition reference T₀ = D/d, the gain T*/T₀, and the cost axes of a network
paper, designs, trends, pingpong   the numbers of each study's page
paper      the `paper` study page's numbers: main-network errors and claims, working thresholds, provenance
Pages and figures import from here; nothing here imports matplotlib or writes HTML or files.
"""
