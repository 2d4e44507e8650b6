"""The query stage: stores that answer SPARQL (embedded Oxigraph, remote engines with their deadlines), SPARQL
text as tokens, the named query catalogue, and answers as rows, tables, CSV, SPARQL JSON or DataFrames.

May import the ground modules at the top of the package (``errors``) and nothing else of ours: the query workers
load this stage, and should hold only what answering SPARQL needs.
"""
