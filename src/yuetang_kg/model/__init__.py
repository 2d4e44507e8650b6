"""The model stage: the curated facts of ``graph_data/`` read and checked (sources, periods, qualification), the
ontology and shapes, and their mapping to RDF (entities, relations, observations) and its SHACL validation.

May import the ground modules at the top of the package (``errors``, ``literals``, ``namespaces``) and nothing
else of ours.
"""
