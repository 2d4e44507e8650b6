"""The one exception the library raises for bad input; the CLI turns it into a one-line message."""


class DataError(ValueError):
    """Bad curated data, a bad query or a bad parameter. ``where`` names the file and line (or parameter)."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
