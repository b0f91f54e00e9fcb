"""The page layer: every HTML page cisim publishes, and nothing else builds HTML.

html        the one number format, tables, embedded figures, the page frame and its provenance
templates/  Jinja templates (`base.html.j2` frames every page)
One module per page turns the analysis layer's numbers (and the figures of `cisim.plots`, as
PNG bytes) into a context and renders its template; the workflow's scripts write the result
through `cisim.files.publish_page`.
"""
