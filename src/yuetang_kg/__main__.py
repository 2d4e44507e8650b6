"""``python -m yuetang_kg``: the same command as ``yuetang-kg``."""

from .cli import main

main(prog_name="yuetang-kg")
