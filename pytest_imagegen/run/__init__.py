"""What a test run reports, without pytest: the session's end (``finish.py``: the summary, the verdict
on the exit status, drift and replay records, the HTML report) and the short report of a failure the
plugin's errors caused (``failures.py``).

A layer above the engine (``cassette/``) and ``cli/`` (the totals and the HTML report it shows), below
the pytest wiring (``plugin/``), which gathers what pytest knows and calls it.
"""
