"""IMAP source against a real Dovecot: read by UID, file by MOVE, IDLE, and survive faults."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from mailflow.transport.imap import ImapSource
from tests.servers import Dovecot, ImapAccount


def message(n: int) -> bytes:
    return (
        f"From: a@example.org\r\nSubject: m{n}\r\nMessage-ID: <m{n}@x>\r\n\r\nbody {n}\r\n".encode()
    )


@pytest.fixture
def source(imap_account: ImapAccount) -> Iterator[ImapSource]:
    src = ImapSource(imap_account.settings())
    yield src
    src.close()


def later(seconds: float, action: object) -> threading.Thread:
    thread = threading.Timer(seconds, action)  # type: ignore[arg-type]
    thread.start()
    return thread


def test_fetch_yields_unfiled_mail_in_uid_order_without_marking_it_read(
    imap_account: ImapAccount, source: ImapSource
) -> None:
    imap_account.append(message(n) for n in range(5))
    fetched = list(source.fetch())
    assert [m.data for m in fetched] == [message(n) for n in range(5)]
    validity = source.state()["INBOX"]["uidvalidity"]
    assert [m.key for m in fetched] == [f"{validity}:{uid}" for uid in range(1, 6)]
    assert list(source.fetch()) == fetched, "unfiled mail is yielded again"
    with imap_account.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert all(b"\\Seen" not in f for f in client.get_flags([1, 2, 3, 4, 5]).values())


def test_ack_moves_to_processed_and_quarantine(
    imap_account: ImapAccount, source: ImapSource
) -> None:
    imap_account.append(message(n) for n in range(4))
    first, second, third, fourth = source.fetch()
    source.ack(first.key, "processed")
    source.ack(second.key, "quarantine")
    source.ack(fourth.key, "processed")
    assert [m.key for m in source.fetch()] == [third.key]
    assert imap_account.uids("INBOX") == [3]
    assert len(imap_account.uids("Processed")) == 2
    assert len(imap_account.uids("Quarantine")) == 1
    assert source.state()["INBOX"]["last_uid"] == 2, "UID 3 is still unfiled"
    source.ack(third.key, "processed")
    assert source.state()["INBOX"]["last_uid"] == 4


def test_batches_and_limit(imap_account: ImapAccount) -> None:
    imap_account.append(message(n) for n in range(23))
    source = ImapSource(imap_account.settings(batch_size=5))
    assert [m.data for m in source.fetch(limit=7)] == [message(n) for n in range(7)]
    assert len(list(source.fetch())) == 23
    source.close()


def searches_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many UIDs each SEARCH the source sends answers with, in order."""
    from imapclient import IMAPClient

    sizes: list[int] = []
    real = IMAPClient.search

    def counted(self: IMAPClient, *args: object, **kwargs: object) -> list[int]:
        found = real(self, *args, **kwargs)  # type: ignore[arg-type]
        sizes.append(len(found))
        return found

    monkeypatch.setattr(IMAPClient, "search", counted)
    return sizes


def file_away(account: ImapAccount, uids: range) -> None:
    """Someone else files a stretch of the inbox, leaving a gap in its UIDs."""
    with account.client() as other:
        if not other.folder_exists("Elsewhere"):
            other.create_folder("Elsewhere")
        other.select_folder("INBOX")
        other.move(list(uids), "Elsewhere")


def test_a_backlog_is_searched_a_window_at_a_time(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large backlog is read in full and in order, but no SEARCH answers with all of it:
    its UIDs would all be held in memory at once. A stretch of filed mail longer than the
    window is crossed too."""
    monkeypatch.setattr("mailflow.transport.imap.WINDOW", 10)
    monkeypatch.setattr("mailflow.transport.imap.WIDEN_UP_TO", 2)
    imap_account.append(message(n) for n in range(200))
    file_away(imap_account, range(31, 151))  # 120 UIDs: past a window widened twice
    sizes = searches_seen(monkeypatch)
    source = ImapSource(imap_account.settings(batch_size=7))
    fetched = list(source.fetch())
    kept = [n for n in range(200) if not 30 <= n < 150]
    assert [m.data for m in fetched] == [message(n) for n in kept]
    assert sizes and max(sizes) <= 10 << 2, sizes
    # windows of 10 UIDs with mail, 10, 20, 40 and 40 across the gap (widening while
    # empty), 40 holding UIDs 151 to 180, then 10 and 10: not one SEARCH for each 10 UIDs
    assert sizes == [10, 10, 10, 0, 0, 0, 0, 30, 10, 10]
    for m in fetched:
        source.ack(m.key, "processed")
    assert source.state()["INBOX"]["last_uid"] == 200
    source.close()


def test_the_connection_keeps_no_line_the_server_sent_unasked(
    imap_account: ImapAccount,
) -> None:
    """Each filed message makes the server announce its EXPUNGE, and each new one its
    EXISTS; the standard library keeps such lines for a caller who asks, and none does.
    Kept, they grew by a line a message for the connection's life (50,000 messages filed
    on one connection). Mutation: not dropping them leaves 300 here."""
    imap_account.append(message(n) for n in range(300))
    source = ImapSource(imap_account.settings(batch_size=50))
    fetched = list(source.fetch())
    source.ack_many([(m.key, "processed") for m in fetched])
    imap_account.append(message(n) for n in range(300, 310))  # announced, never asked for
    assert len(list(source.fetch())) == 10
    kept = source._session._client._imap.untagged_responses  # type: ignore[union-attr]
    assert sum(len(lines) for lines in kept.values()) < 10, {k: len(v) for k, v in kept.items()}
    source.close()


def test_new_mail_past_a_long_filed_stretch_wakes_the_watcher(
    imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mailflow.transport.imap.WINDOW", 10)
    monkeypatch.setattr("mailflow.transport.imap.WIDEN_UP_TO", 2)
    source = ImapSource(imap_account.settings(idle=False, poll_seconds=0.1))
    assert source.wait(0.2) is False
    imap_account.append(message(n) for n in range(100))
    file_away(imap_account, range(1, 100))
    assert source.wait(5) is True, "UID 100, past 99 filed ones, is new mail"
    assert [m.data for m in source.fetch()] == [message(99)]
    source.close()


def test_missing_folders_are_created(imap_account: ImapAccount) -> None:
    settings = imap_account.settings(
        inbox="Requests/New", processed="Requests/Done", quarantine="Bad"
    )
    source = ImapSource(settings)
    assert list(source.fetch()) == []
    imap_account.append([message(1)], folder="Requests/New")
    [got] = source.fetch()
    source.ack(got.key, "quarantine")
    assert len(imap_account.uids("Bad")) == 1
    source.close()


def test_state_lets_a_new_source_resume(imap_account: ImapAccount, source: ImapSource) -> None:
    imap_account.append(message(n) for n in range(3))
    for got in source.fetch(limit=2):
        source.ack(got.key, "processed")
    state = source.state()
    imap_account.append([message(3)])
    resumed = ImapSource(imap_account.settings(), state=state)
    assert [m.data for m in resumed.fetch()] == [message(2), message(3)]
    resumed.close()


def test_uidvalidity_change_rescans_the_whole_folder(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    source = ImapSource(imap_account.settings(inbox="Requests"))
    imap_account.append((message(n) for n in range(3)), folder="Requests")
    old = list(source.fetch())
    source.ack(old[0].key, "processed")
    with imap_account.client() as other:
        other.delete_folder("Requests")
        other.create_folder("Requests")
        other.multiappend("Requests", [message(1), message(2), message(9)])
    with caplog.at_level(logging.WARNING):
        new = list(source.fetch())
        source.ack(old[1].key, "processed")
    assert [m.data for m in new] == [message(1), message(2), message(9)]
    assert {m.key.split(":")[0] for m in new}.isdisjoint({m.key.split(":")[0] for m in old})
    assert "UIDVALIDITY changed" in caplog.text
    assert "predates a UIDVALIDITY change" in caplog.text
    for got in new:
        source.ack(got.key, "processed")
    assert imap_account.uids("Requests") == []
    source.close()


def test_saved_state_with_another_uidvalidity_rescans(imap_account: ImapAccount) -> None:
    imap_account.append(message(n) for n in range(2))
    stale = {"INBOX": {"uidvalidity": 1, "last_uid": 999}}
    source = ImapSource(imap_account.settings(), state=stale)
    assert [m.data for m in source.fetch()] == [message(0), message(1)]
    source.close()


def test_message_expunged_by_someone_else_before_ack_is_not_an_error(
    imap_account: ImapAccount, source: ImapSource, caplog: pytest.LogCaptureFixture
) -> None:
    imap_account.append(message(n) for n in range(2))
    first, second = source.fetch()
    with imap_account.client() as other:
        other.select_folder("INBOX")
        other.delete_messages([1])
        other.expunge()
    with caplog.at_level(logging.INFO):
        source.ack(first.key, "processed")
        source.ack(second.key, "processed")
        source.ack(second.key, "processed")
    assert "already gone" in caplog.text
    assert imap_account.uids("Processed") == [1]
    assert [m.key for m in source.fetch()] == []


def without_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server as one without the MOVE extension: filing falls back to COPY."""
    from imapclient import IMAPClient

    real = IMAPClient.has_capability
    monkeypatch.setattr(
        IMAPClient, "has_capability", lambda self, cap: cap != "MOVE" and real(self, cap)
    )


def test_copy_expunge_when_the_server_lacks_move(
    imap_account: ImapAccount, source: ImapSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_move(monkeypatch)
    imap_account.append(message(n) for n in range(2))
    first, second = source.fetch()
    source.ack(first.key, "processed")
    assert imap_account.uids("INBOX") == [2]
    assert len(imap_account.uids("Processed")) == 1


class Counted:
    """Counts the IMAP filing commands a source sends (the calls are the real ones)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from imapclient import IMAPClient

        self.calls: list[tuple[str, list[int]]] = []
        for name in ("move", "copy", "uid_expunge", "expunge"):
            real = getattr(IMAPClient, name)

            def spy(client: IMAPClient, *args: object, _n: str = name, _r: object = real) -> object:
                self.calls.append((_n, sorted(args[0]) if args else []))
                return _r(client, *args)

            monkeypatch.setattr(IMAPClient, name, spy)


def test_ack_many_files_a_batch_with_one_move_per_folder(
    imap_account: ImapAccount, source: ImapSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap_account.append(message(n) for n in range(7))
    got = list(source.fetch())
    counted = Counted(monkeypatch)
    outcomes = ["processed", "quarantine", "processed", "processed", "quarantine", "processed"]
    source.ack_many([(m.key, o) for m, o in zip(got[:6], outcomes, strict=True)])
    assert counted.calls == [("move", [1, 3, 4, 6]), ("move", [2, 5])]
    assert imap_account.uids("INBOX") == [7]
    assert len(imap_account.uids("Processed")) == 4
    assert len(imap_account.uids("Quarantine")) == 2
    assert source.state()["INBOX"]["last_uid"] == 6, "UID 7 is still unfiled"
    assert [m.data for m in source.fetch()] == [message(6)]


def test_ack_many_files_the_rest_when_some_were_expunged_by_someone_else(
    imap_account: ImapAccount, source: ImapSource, caplog: pytest.LogCaptureFixture
) -> None:
    imap_account.append(message(n) for n in range(5))
    got = list(source.fetch())
    with imap_account.client() as other:
        other.select_folder("INBOX")
        other.delete_messages([2, 4])
        other.expunge()
    with caplog.at_level(logging.INFO):
        source.ack_many([(m.key, "processed") for m in got])
    assert imap_account.uids("INBOX") == []
    validity = got[0].key.split(":")[0]
    assert f"{validity}:2, {validity}:4 were already gone" in caplog.text
    assert len(imap_account.uids("Processed")) == 3
    assert list(source.fetch()) == []


def test_copy_and_uid_expunge_of_the_set_when_the_server_lacks_move(
    imap_account: ImapAccount, source: ImapSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_move(monkeypatch)
    imap_account.append(message(n) for n in range(5))
    got = list(source.fetch())
    with imap_account.client() as other:  # someone else's deletion, not ours to expunge
        other.select_folder("INBOX")
        other.delete_messages([5])
    counted = Counted(monkeypatch)
    source.ack_many([(m.key, "processed") for m in got[:3]] + [(got[3].key, "quarantine")])
    assert counted.calls == [
        ("copy", [1, 2, 3]),
        ("uid_expunge", [1, 2, 3]),
        ("copy", [4]),
        ("uid_expunge", [4]),
    ]
    assert imap_account.uids("INBOX") == [5], "only the filed set was expunged"
    assert len(imap_account.uids("Processed")) == 3
    assert len(imap_account.uids("Quarantine")) == 1


def test_dovecot_killed_and_restarted_mid_run_loses_and_repeats_nothing(
    dovecot: Dovecot, imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    imap_account.append(message(n) for n in range(10))
    source = ImapSource(imap_account.settings(batch_size=3))
    handled: list[bytes] = []
    with caplog.at_level(logging.INFO, logger="mailflow.transport.imap_session"):
        for got in source.fetch():
            handled.append(got.data)
            source.ack(got.key, "processed")
            if len(handled) == 4:
                dovecot.stop()
                later(0.5, dovecot.start)
        imap_account.append(message(n) for n in range(10, 13))
        for got in source.fetch():
            handled.append(got.data)
            source.ack(got.key, "processed")
    assert handled == [message(n) for n in range(13)]
    assert imap_account.uids("INBOX") == []
    assert len(imap_account.uids("Processed")) == 13
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    recoveries = [r for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(warnings) == 1 and len(recoveries) == 1
    assert source.health().outage_since is None
    source.close()


def test_idle_wakes_soon_after_an_append(imap_account: ImapAccount, source: ImapSource) -> None:
    assert source.wait(0.3) is False
    later(0.3, lambda: imap_account.append([message(1)]))
    assert source.wait(10) is True, "woken by the mail, not by the timeout"
    assert [m.data for m in source.fetch()] == [message(1)]
    assert source.wait(0.2) is False, "mail already yielded does not wake the watcher"


def test_wait_returns_at_once_for_mail_that_is_already_there(
    imap_account: ImapAccount, source: ImapSource
) -> None:
    imap_account.append([message(1)])
    assert source.wait(10) is True


def test_idle_is_renewed_and_still_wakes(imap_account: ImapAccount) -> None:
    source = ImapSource(imap_account.settings(idle_renew_seconds=0.3))
    assert source.wait(1.0) is False
    later(0.8, lambda: imap_account.append([message(1)]))
    assert source.wait(10) is True
    source.close()


def test_poll_mode_finds_new_mail(imap_account: ImapAccount) -> None:
    source = ImapSource(imap_account.settings(idle=False, poll_seconds=0.2))
    started = time.monotonic()
    assert source.wait(0.5) is False
    assert time.monotonic() - started >= 0.5
    later(0.3, lambda: imap_account.append([message(1)]))
    assert source.wait(10) is True
    source.close()


def test_idle_survives_a_server_restart(
    dovecot: Dovecot, imap_account: ImapAccount, source: ImapSource
) -> None:
    assert source.wait(0.2) is False

    def crash_then_deliver() -> None:
        dovecot.restart()
        imap_account.append([message(1)])

    later(0.3, crash_then_deliver)
    assert source.wait(10) is True
    assert [m.data for m in source.fetch()] == [message(1)]
