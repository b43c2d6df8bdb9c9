"""Where stages are combined: the one layer between the CLI and the stages.

A stage never imports a sibling (``compare/`` does not keep gold, ``gold/`` does
not judge), yet some commands need several in a row: keep the gold, then
compare; keep people's verdicts, then score the judge; export the gold with
the judge's scores. Each such sequence is written once here, named for what it
runs, so the CLI only parses options and prints.
"""
