"""The explorer (``python -m sdmission explore``): levers in the browser, trajectories and targets redrawn.

``levers`` (controls and their mapping onto scenario paths, pure), ``explorer`` (one starting
scenario: runs, target checks, saving), ``app`` (the Starlette app and its JSON API), ``static/``
(the page; uPlot vendored), and ``backend``: the explorer's one door into the rest of the package.
"""
