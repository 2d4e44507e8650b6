"""``python -m yuetang_kg``: the same command as ``yuetang-kg``."""

from .cli import main

if __name__ == "__main__":  # not when multiprocessing's spawn imports it again (``serve --processes``)
    main(prog_name="yuetang-kg")
