"""Faults at run time are one line naming what and where, never a traceback: a Maildir
folder that turns read-only under a running service, a database unreachable at start."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailflow.cli.main import main
from mailflow.transport.maildir import deliver
from tests.helpers import EXAMPLE_CONFIG, Desk


def _mount(args: list[str]) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The Maildir folder (cur, new, tmp) read-only: by its mode for a normal user; for
    root, whom modes do not stop, as a read-only file system mounted over it."""
    if os.geteuid() != 0:
        for sub in ("cur", "new", "tmp"):
            (folder / sub).chmod(0o555)
        try:
            yield
        finally:
            for sub in ("cur", "new", "tmp"):
                (folder / sub).chmod(0o755)
        return
    try:
        _mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)])
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"root without the right to mount a read-only file system: {exc}")
    try:
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir()
        _mount(["-o", "remount,ro", str(folder)])
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_maildir_under_a_running_service_is_one_line(tmp_path, caplog):
    desk = Desk(tmp_path)
    try:
        cr_id = desk.open_cr()
        processed, sent = desk.root / "processed", desk.root / "sent"
        before = len(desk.ledger())
        msg = desk.reply("integration@ft.example", cr_id, "IS CR")
        deliver(desk.root, msg.as_bytes())
        caplog.clear()
        with caplog.at_level(logging.INFO), read_only(processed), read_only(sent):
            desk.daemon.run(once=True)
        problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert problems, "the fault is reported"
        assert not any(r.exc_info for r in caplog.records), "no traceback"
        lines = [r.getMessage() for r in problems]
        # the errno's text differs (read-only, permission denied, another device); the
        # line always says what failed and in which folder
        assert any("cannot file message" in x and str(processed) in x for x in lines), lines
        assert any("cannot write to Maildir" in x and str(sent) in x for x in lines), lines
        assert all("\n" not in x for x in lines), lines
        assert len(desk.ledger()) == before + 1, "handled and recorded once"
        assert list((desk.root / "inbox" / "new").iterdir()), "left at its source"
        desk.daemon.run(once=True)  # the folders are writable again
        assert len(desk.ledger()) == before + 1, "read again: a no-op, not a second outcome"
        assert not list((desk.root / "inbox" / "new").iterdir())
        assert list((processed / "cur").iterdir())
    finally:
        desk.close()


def test_an_unreachable_database_at_start_is_one_line(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"')
    url = f"postgresql+psycopg://mailflow@127.0.0.1:{port}/mailflow"
    text = text.replace('# url_env = "MAILFLOW_DATABASE_URL"', f'url = "{url}"')
    config = tmp_path / "mailflow.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["run", "--once", "--config", str(config)]) != 0
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert "cannot open the database" in err and f"127.0.0.1:{port}" in err, err


def _config_with_a_cr(tmp_path: Path, capsys) -> tuple[Path, str]:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"')
    config = tmp_path / "mailflow.toml"
    config.write_text(text, encoding="utf-8")
    c = ["--config", str(config)]
    assert main(["cr", "new", *c, "--account", "acme", "--title", "Loyalty points",
                 "--by", "priya@ft.example"]) == 0  # fmt: skip
    cr_id = capsys.readouterr().out.split()[0].strip(":")
    assert cr_id.startswith("CR-"), cr_id
    return config, cr_id


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_command_writing_where_it_cannot_is_one_line(tmp_path, capsys):
    config, cr_id = _config_with_a_cr(tmp_path, capsys)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    out = a_file / "evidence"
    assert main(["cr", "evidence", cr_id, "--out", str(out), "--config", str(config)]) == 1
    err = _one_line(capsys)
    assert str(a_file) in err and "Not a directory" in err, err


def test_a_command_on_a_full_disk_is_one_line(tmp_path, capsys):
    config, cr_id = _config_with_a_cr(tmp_path, capsys)
    full = tmp_path / "full"
    full.mkdir()
    if os.geteuid() != 0:
        pytest.skip("filling a small file system needs a tmpfs mount (root)")
    try:
        _mount(["-t", "tmpfs", "-o", "size=16k", "tmpfs", str(full)])
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"root without the right to mount a small file system: {exc}")
    try:
        with (full / "filler").open("wb", buffering=0) as f:  # fill it to the last block
            try:
                while True:
                    f.write(b"x" * 512)
            except OSError:
                pass
        code = main(["cr", "evidence", cr_id, "--out", str(full / "ev"), "--config", str(config)])
        assert code == 1
        err = _one_line(capsys)
        assert "No space left on device" in err and str(full) in err, err
    finally:
        subprocess.run(["umount", str(full)], check=True)
