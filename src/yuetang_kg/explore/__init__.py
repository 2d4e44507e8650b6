"""The explore stage: the NetworkX projection of the graph and what is read from it: analytics (search, paths,
communities), the explorer's index, reconciliation of names, and the interactive views, inline in notebooks too.

May import the ground modules at the top of the package (``errors``, ``files``, ``namespaces``) and nothing else
of ours.
"""
