"""Routes of the web app's downloads part (being written)."""


def routes(site):
    return []
