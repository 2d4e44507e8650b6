"""Routes of the web app's explorer part (being written)."""


def routes(site):
    return []
