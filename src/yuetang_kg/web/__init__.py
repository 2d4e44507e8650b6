"""The web app: SPARQL endpoint, query catalogue, explorer, resource pages and downloads.

May import the ``query``, ``publish`` and ``explore`` stages and the ground modules; never ``build``,
``workspace`` or the CLI (``build`` imports ``web.charts`` and ``web.indexing`` to write the explorer's index).
"""
