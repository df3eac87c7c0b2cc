"""The journal: durable states, crash semantics, one run at a time, no secrets."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from idcode_async.durable.store import Settlement
from idcode_async.registration import JournalError, JournalLockedError, RowState, SqliteJournal

ROWS = [
    ("k1", 2, {"organunit_name": "甲公司", "name_key": "甲公司", "login_name": "L1"}),
    ("k2", 3, {"organunit_name": "乙公司", "name_key": "乙公司", "login_name": "L2"}),
]


@pytest.fixture
def journal(tmp_path: Path):
    with SqliteJournal(tmp_path / "run.db") as j:
        j.add_pending(ROWS)
        yield j


def test_wal_and_synchronous_full_by_default(journal):
    with sqlite3.connect(journal.path) as reader:  # WAL is a property of the file
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal.synchronous == 2


def test_states_from_pending_to_done(journal):
    assert journal.entry("k1").state is RowState.PENDING
    assert journal.mark_intent("k1") == 1
    assert journal.entry("k1").state is RowState.IN_FLIGHT
    assert journal.entry("k1").maybe_sent
    journal.mark_pending("k1", "busy")
    assert journal.mark_intent("k1") == 2
    journal.mark_unknown("k1", "ReadTimeout")
    assert journal.entry("k1").maybe_sent
    journal.mark_intent("k1")
    journal.settle(
        "k1", Settlement(outcome="registered", receipt="i.86.110105.1", data={"login_name": "L1X"})
    )
    entry = journal.entry("k1")
    assert entry.settled
    assert (entry.outcome, entry.organunit_idcode, entry.login_name, entry.attempts) == (
        "registered",
        "i.86.110105.1",
        "L1X",
        3,
    )
    events = [e.event for e in journal.events("k1")]
    assert events == ["row", "intent", "not-applied", "intent", "unknown", "intent", "registered"]


def test_add_pending_is_idempotent_and_follows_moved_rows(journal):
    journal.mark_intent("k1")
    journal.add_pending(
        [
            ("k1", 9, {"organunit_name": "甲公司", "name_key": "甲公司", "login_name": "L1"}),
            ("k3", 4, {"organunit_name": "丙", "name_key": "丙", "login_name": "L3"}),
        ]
    )
    entries = {e.key: e for e in journal.entries()}
    assert set(entries) == {"k1", "k2", "k3"}
    assert entries["k1"].row == 9
    assert entries["k1"].state is RowState.IN_FLIGHT  # a re-read never resets a row
    assert entries["k1"].attempts == 1


def test_unknown_rows_and_bad_outcomes_are_refused(journal):
    with pytest.raises(JournalError, match="not in the journal"):
        journal.mark_intent("nope")
    with pytest.raises(JournalError, match="not a journal outcome"):
        journal.settle("k1", Settlement(outcome="invalid"))


def test_done_requires_an_outcome_at_the_schema_level(journal):
    db = sqlite3.connect(journal.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE items SET state = 'done' WHERE key = 'k1'")
    db.close()


def test_reset_failed_puts_failed_rows_back(journal):
    journal.settle("k1", Settlement(outcome="failed", code=30002, message="解析地址格式不正确"))
    journal.settle("k2", Settlement(outcome="existing", code=10007))
    assert journal.reset_failed() == 1
    assert journal.entry("k1").state is RowState.PENDING
    assert journal.entry("k1").outcome is None
    assert journal.entry("k2").outcome == "existing"


def test_bound_to_one_centre(journal):
    journal.bind("https://apitest.idcode.org.cn")
    journal.bind("https://apitest.idcode.org.cn")
    with pytest.raises(JournalError, match=r"base_url 'https://apitest\.idcode\.org\.cn', not"):
        journal.bind("https://api.idcode.org.cn")


def test_one_run_at_a_time(tmp_path):
    with SqliteJournal(tmp_path / "run.db"), pytest.raises(JournalLockedError):
        SqliteJournal(tmp_path / "run.db")
    with SqliteJournal(tmp_path / "run.db"):
        pass  # released on close


def test_intent_is_committed_before_mark_intent_returns(journal):
    journal.mark_intent("k2")
    with SqliteJournal(journal.path, lock=False) as reader:  # another connection to the file
        assert reader.entry("k2").state is RowState.IN_FLIGHT


CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from idcode_async.registration.journal import SqliteJournal
    from idcode_async.durable.store import Settlement
    j = SqliteJournal(sys.argv[1])
    names = (("k1", 2, "甲公司", "L1"), ("k2", 3, "乙公司", "L2"))
    j.add_pending(
        [(k, r, {"organunit_name": n, "name_key": n, "login_name": u}) for k, r, n, u in names]
    )
    j.settle("k2", Settlement(outcome="registered", receipt="i.86.1.2"))
    j.mark_intent("k1")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_sigkill_after_intent_leaves_the_row_in_flight_and_the_lock_free(tmp_path):
    path = tmp_path / "run.db"
    done = subprocess.run([sys.executable, "-c", CRASH, str(path)], check=False)
    assert done.returncode == -9
    with SqliteJournal(path) as journal:  # the kernel released the dead run's lock
        entries = {e.key: e for e in journal.entries()}
    assert entries["k1"].state is RowState.IN_FLIGHT
    assert entries["k1"].attempts == 1
    assert entries["k2"].outcome == "registered"


def test_no_secret_reaches_the_file(tmp_path):
    token, auth_code = "J7X4LuOOfURXeAAEAAAAAABSK", "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
    path = tmp_path / "run.db"
    with SqliteJournal(path) as journal:
        journal.add_pending(ROWS)
        journal.mark_intent("k1")
        journal.mark_unknown("k1", f"POST /x?access_token={token}&hash=ABC&auth_code={auth_code}")
        journal.settle(
            "k2",
            Settlement(outcome="failed", message=f'{{"access_token": "{token}"}} login_pwd=123456'),
        )
        assert "access_token=***" in journal.entry("k1").message
    content = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in (token, auth_code, "123456", "hash=ABC"):
        assert secret.encode() not in content
