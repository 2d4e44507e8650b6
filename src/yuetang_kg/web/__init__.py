"""The web app: SPARQL endpoint, query catalogue, explorer, resource pages and downloads."""
