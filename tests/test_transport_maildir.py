"""Maildir source and sink: the embedded default files mail by renaming, never loses or repeats."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from mailflow.errors import TransientSendError
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver


def message(n: int) -> bytes:
    return (
        f"From: a@example.org\r\nSubject: m{n}\r\nMessage-ID: <m{n}@x>\r\n\r\nbody {n}\r\n".encode()
    )


def subjects(source: MaildirSource) -> list[str]:
    return [m.data.split(b"\r\n")[1].decode() for m in source.fetch()]


def files(folder: Path) -> list[str]:
    return sorted(p.name for sub in ("new", "cur") for p in (folder / sub).iterdir())


def test_missing_folders_are_created(tmp_path: Path) -> None:
    MaildirSource(tmp_path / "mail")
    for folder in ("inbox", "processed", "quarantine"):
        for sub in ("tmp", "new", "cur"):
            assert (tmp_path / "mail" / folder / sub).is_dir()


def test_fetch_is_oldest_first_and_leaves_messages_in_place(tmp_path: Path) -> None:
    keys = [deliver(tmp_path, message(n)) for n in range(12)]
    source = MaildirSource(tmp_path)
    fetched = list(source.fetch())
    assert [m.key for m in fetched] == keys
    assert [m.data for m in fetched] == [message(n) for n in range(12)]
    assert [m.key for m in source.fetch()] == keys, "fetch must not consume"
    assert [m.key for m in source.fetch(limit=3)] == keys[:3]


def test_fetch_reads_cur_and_orders_by_delivery_time(tmp_path: Path) -> None:
    inbox = MaildirSource(tmp_path).inbox
    (inbox / "cur" / "1700000005.M2P1.host:2,S").write_bytes(message(2))
    (inbox / "new" / "1700000005.M1P1.host").write_bytes(message(1))
    (inbox / "cur" / "999999999.M0P1.host:2,").write_bytes(message(0))
    assert subjects(MaildirSource(tmp_path)) == ["Subject: m0", "Subject: m1", "Subject: m2"]


def test_ack_moves_to_processed_and_quarantine(tmp_path: Path) -> None:
    first, second, third = (deliver(tmp_path, message(n)) for n in range(3))
    source = MaildirSource(tmp_path)
    source.ack(first, "processed")
    source.ack(second, "quarantine")
    assert [m.key for m in source.fetch()] == [third]
    assert files(tmp_path / "processed") == [f"{first}:2,"]
    assert files(tmp_path / "quarantine") == [f"{second}:2,"]
    assert (tmp_path / "processed" / "cur" / f"{first}:2,").read_bytes() == message(0)


def test_ack_keeps_flags_of_a_message_in_cur(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path)
    (source.inbox / "cur" / "1700000000.M1P1.host:2,FS").write_bytes(message(1))
    source.ack("1700000000.M1P1.host", "processed")
    assert files(tmp_path / "processed") == ["1700000000.M1P1.host:2,FS"]


def test_vanished_message_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = deliver(tmp_path, message(1))
    source = MaildirSource(tmp_path)
    [fetched] = source.fetch()
    (source.inbox / "new" / key).unlink()
    with caplog.at_level(logging.WARNING):
        source.ack(fetched.key, "processed")
        source.ack(fetched.key, "processed")
    assert "gone" in caplog.text
    assert files(tmp_path / "processed") == []


def test_message_vanishing_during_fetch_is_skipped(tmp_path: Path) -> None:
    keys = [deliver(tmp_path, message(n)) for n in range(3)]
    source = MaildirSource(tmp_path)
    iterator = source.fetch()
    assert next(iterator).key == keys[0]
    (source.inbox / "new" / keys[1]).unlink()
    assert [m.key for m in iterator] == [keys[2]]


def test_ack_refuses_a_key_that_is_a_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        MaildirSource(tmp_path).ack("../processed/x", "processed")


def test_custom_folder_names(tmp_path: Path) -> None:
    key = deliver(tmp_path, message(1), folder="In")
    source = MaildirSource(tmp_path, inbox="In", processed="Done", quarantine="Bad")
    assert [m.key for m in source.fetch()] == [key]
    source.ack(key, "quarantine")
    assert files(tmp_path / "Bad") == [f"{key}:2,"]


def test_sink_writes_sent_folder_with_envelope(tmp_path: Path) -> None:
    sink = MaildirSink(tmp_path)
    sink.send("mailflow@example.org", ["bob@example.org", "carol@example.org"], message(7))
    [name] = files(tmp_path / "sent")
    stored = (tmp_path / "sent" / "new" / name).read_bytes()
    assert stored == (
        b"Return-Path: <mailflow@example.org>\r\n"
        b"X-Envelope-To: bob@example.org, carol@example.org\r\n" + message(7)
    )


def test_sink_disk_fault_is_transient(tmp_path: Path) -> None:
    sink = MaildirSink(tmp_path)
    (tmp_path / "sent" / "tmp").rmdir()
    (tmp_path / "sent" / "tmp").write_text("not a directory")
    with pytest.raises(TransientSendError):
        sink.send("a@example.org", ["b@example.org"], message(1))


def test_sink_never_delivers_one_message_id_twice(tmp_path: Path) -> None:
    sink = MaildirSink(tmp_path)
    sink.send("a@example.org", ["b@example.org"], message(3))
    sink.send("a@example.org", ["b@example.org"], message(3))
    [name] = files(tmp_path / "sent")
    os.rename(tmp_path / "sent" / "new" / name, tmp_path / "sent" / "cur" / f"{name}:2,S")
    sink.send("a@example.org", ["b@example.org"], message(3))
    assert files(tmp_path / "sent") == [f"{name}:2,S"], "read and filed: still not resent"
    sink.send("a@example.org", ["b@example.org"], message(4))
    assert len(files(tmp_path / "sent")) == 2
