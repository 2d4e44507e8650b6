import stat

import pytest

from yuetang_kg.files import write_atomic, write_text


def test_write_atomic_replaces_whole_file_readable_by_all(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text(target, "岳塘区\n")
    write_atomic(target, "七星村\n".encode())
    assert target.read_text(encoding="utf-8") == "七星村\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "old")

    with pytest.raises(TypeError):
        write_atomic(target, object())  # not bytes: the write fails midway
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
