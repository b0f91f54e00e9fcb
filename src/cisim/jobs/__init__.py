"""What one pipeline job computes, from a plain config dict (the rule's JSON params).

One module per rule (`allocate`, `simulate`), so that a rule's code inputs (its import closure,
`cisim.sources`) hold only what its job runs. They return numpy results and leave all file I/O
to the workflow scripts and `cisim.datasets`.
"""
