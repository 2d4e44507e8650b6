"""The publish stage: a built graph as files: every RDF format (one table of them), the named graphs of the quad
exports, the JSON-LD context, the VoID + DCAT description and the ontology's HTML documentation.

May import ``query`` (the engine's store and serializers) and the ground modules at the top of the package.
"""
