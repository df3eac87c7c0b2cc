"""The SQLite stores: one run per file identity, foreign files refused untouched."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from idcode_async.durable import sqlite as sqlite_store
from idcode_async.durable.sqlite import acquire_run_lock, release_run_lock
from idcode_async.durable.store import Settlement, StoreError, StoreLockedError
from idcode_async.registration import JournalError, SqliteJournal
from idcode_async.uploads import ManifestError, UploadManifest

Store = Callable[[Path], object]
STORES = [pytest.param(SqliteJournal, id="journal"), pytest.param(UploadManifest, id="manifest")]


def _other_names(tmp_path: Path, original: Path) -> list[Path]:
    """A symlink, a hard link in another directory and a relative path to ``original``."""
    (tmp_path / "elsewhere").mkdir()
    symlink = tmp_path / "elsewhere" / "via-symlink.db"
    symlink.symlink_to(original)
    hard = tmp_path / "elsewhere" / "hard-link.db"
    os.link(original, hard)
    relative = Path(os.path.relpath(original))
    return [symlink, hard, relative]


@pytest.mark.parametrize("store", STORES)
def test_a_second_run_is_refused_by_any_name_of_the_file(tmp_path: Path, store: Store):
    original = tmp_path / "run.db"
    first = store(original)
    try:
        for other in _other_names(tmp_path, original):
            with pytest.raises(StoreLockedError, match="in use by another run"):
                store(other)
    finally:
        first.close()  # type: ignore[attr-defined]
    store(tmp_path / "elsewhere" / "via-symlink.db").close()  # released with the first run


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("store", "error"),
    [
        pytest.param(SqliteJournal, JournalError, id="journal"),
        pytest.param(UploadManifest, ManifestError, id="manifest"),
    ],
)
def test_a_foreign_sqlite_file_is_refused_without_being_modified(
    tmp_path: Path, store: Store, error: type[Exception]
):
    path = tmp_path / "accounts.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)")
    db.execute("INSERT INTO accounts VALUES (1, 'someone')")
    db.commit()
    db.close()
    before = _digest(path)
    with pytest.raises(error, match="another kind"):
        store(path)
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["accounts"]
    db.close()


def test_a_journal_is_not_taken_for_a_manifest_nor_the_reverse(tmp_path: Path):
    SqliteJournal(tmp_path / "j.db").close()
    UploadManifest(tmp_path / "m.db").close()
    with pytest.raises(ManifestError, match="another kind"):
        UploadManifest(tmp_path / "j.db")
    with pytest.raises(JournalError, match="another kind"):
        SqliteJournal(tmp_path / "m.db")
    SqliteJournal(tmp_path / "j.db").close()  # each still opens as what it is
    UploadManifest(tmp_path / "m.db").close()


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"plain text, not a database\n" * 200)
    before = _digest(path)
    with pytest.raises(JournalError, match="not an SQLite file"):
        SqliteJournal(path)
    assert _digest(path) == before


_SCHEMA_0_1_0 = {
    "journal": "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE rows (row_key TEXT PRIMARY KEY, state TEXT NOT NULL);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, row_key TEXT, event TEXT);"
    "INSERT INTO meta VALUES ('schema', '1');",
    "manifest": "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE requests (request_key TEXT PRIMARY KEY, state TEXT NOT NULL);"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, request_key TEXT, event TEXT);"
    "INSERT INTO meta VALUES ('schema', '1');",
}


@pytest.mark.parametrize(
    ("store", "error", "kind"),
    [
        pytest.param(SqliteJournal, JournalError, "journal", id="journal"),
        pytest.param(UploadManifest, ManifestError, "manifest", id="manifest"),
    ],
)
def test_a_store_written_by_0_1_0_is_refused_unchanged_with_advice(
    tmp_path: Path, store: Store, error: type[Exception], kind: str
):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_0_1_0[kind])
    db.execute(f"PRAGMA application_id={0x1DC0DE01}")
    db.close()
    before = _digest(path)
    with pytest.raises(error, match=r"older version \(idcode-async 0\.1\.0.*finish its run"):
        store(path)
    assert _digest(path) == before


def test_another_schema_version_is_refused(tmp_path: Path):
    path = tmp_path / "j.db"
    SqliteJournal(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE facts SET value = '99' WHERE name = 'schema'")
    db.commit()
    db.close()
    with pytest.raises(JournalError, match="journal schema 99, expected 2"):
        SqliteJournal(path)


def _lock_file_of(path: Path) -> Path:
    identity = os.stat(path)
    folder = Path(tempfile.gettempdir()) / f"idcode-async-locks-{os.getuid()}"
    return folder / f"{identity.st_dev}-{identity.st_ino}.lock"


@pytest.mark.parametrize("store", STORES)
def test_a_finished_run_leaves_no_lock_file_and_the_next_run_may_start(
    tmp_path: Path, store: Store
):
    first = store(tmp_path / "run.db")
    lock_file = _lock_file_of(tmp_path / "run.db")
    assert lock_file.exists()
    first.close()  # type: ignore[attr-defined]
    assert not lock_file.exists()
    second = store(tmp_path / "run.db")
    try:
        with pytest.raises(StoreLockedError):
            store(tmp_path / "run.db")
    finally:
        second.close()  # type: ignore[attr-defined]


def test_a_lock_taken_on_a_file_deleted_meanwhile_is_taken_again(tmp_path: Path, monkeypatch):
    """A run finishing between another's open and lock deletes the file that one opened: the
    newcomer must not keep a lock nobody else can see (two runs would then share the store)."""
    target = tmp_path / "run.db"
    real_flock = fcntl.flock
    deleted: list[str] = []

    def flock_after_a_release(fd: int, operation: int) -> None:
        if not deleted:  # the first attempt: the file is deleted under it, as by a release
            name = os.readlink(f"/proc/self/fd/{fd}")
            os.unlink(name)
            deleted.append(name)
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_a_release)
    stream = acquire_run_lock(target, StoreLockedError)
    assert stream is not None
    monkeypatch.setattr(fcntl, "flock", real_flock)
    try:
        assert os.path.exists(deleted[0]), "the lock was taken again on a file others can reach"
        with pytest.raises(StoreLockedError):
            acquire_run_lock(target, StoreLockedError)
    finally:
        release_run_lock(stream)


def test_a_lock_directory_others_may_write_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"idcode-async-locks-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    with pytest.raises(StoreLockedError, match="not a private directory"):
        SqliteJournal(tmp_path / "run.db")


_DATA = {
    SqliteJournal: {"organunit_name": "甲公司", "name_key": "甲公司", "login_name": "L1"},
    UploadManifest: {"endpoint": 5013, "count": 2, "first_code": "1", "last_code": "2", "size": 0},
}


def _written(store: Store, path: Path) -> None:
    """A store with one settled item and one in flight, closed as a finished run leaves it."""
    with store(path) as run:  # type: ignore[attr-defined]
        run.add_pending([("a", 1, _DATA[store]), ("b", 2, _DATA[store])])
        run.mark_intent("a")
        run.settle("a", Settlement(outcome="failed", code=10003, message="refused"))
        run.mark_intent("b")


def _sidecars(path: Path) -> list[bool]:
    return [Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal")]


@pytest.mark.parametrize("store", STORES)
def test_a_reader_of_a_store_at_rest_changes_nothing_and_cannot_write(tmp_path: Path, store: Store):
    path = tmp_path / "run.db"
    _written(store, path)
    before = _digest(path)
    assert _sidecars(path) == [False, False, False]
    with store(path, lock=False) as reader:  # type: ignore[call-arg, attr-defined]
        states = ["done", "in_flight"] if store is SqliteJournal else ["failed", "intent"]
        assert [(e.key, e.state.value) for e in reader.entries()] == [
            *zip("ab", states, strict=True)
        ]
        assert [e.event for e in reader.events("a")][-1] == "failed"
        assert reader.get_fact("kind") in ("journal", "manifest")
        assert _sidecars(path) == [False, False, False]
        writes = [
            lambda: reader.mark_pending("b", "no"),
            lambda: reader.add_pending([("c", 3, {})]),
            lambda: reader.set_fact("note", 1),
            lambda: reader.bind("https://apitest.idcode.org.cn"),
            reader.reset_failed,
        ]
        for write in writes:
            with pytest.raises(StoreError, match="opened for reading"):
                write()
    assert _digest(path) == before
    assert _sidecars(path) == [False, False, False]


@pytest.mark.parametrize("store", STORES)
def test_a_reader_follows_the_run_that_holds_the_store_without_blocking_it(
    tmp_path: Path, store: Store
):
    path = tmp_path / "run.db"
    with store(path) as run:  # type: ignore[attr-defined]
        run.add_pending([("a", 1, _DATA[store])])
        with store(path, lock=False) as reader:  # type: ignore[call-arg, attr-defined]
            assert reader.entry("a").attempts == 0
            run.mark_intent("a")  # the writer is not blocked by the open reader
            assert reader.entry("a").attempts == 1  # and the reader sees its commit


def test_a_reader_reads_an_empty_file_as_an_empty_store_and_refuses_a_foreign_one_unchanged(
    tmp_path: Path,
):
    empty = tmp_path / "empty.db"
    empty.touch()  # as a run killed between taking its lock and writing its schema leaves it
    with SqliteJournal(empty, lock=False) as reader:
        assert reader.entries() == []
        with pytest.raises(JournalError, match="opened for reading"):
            reader.set_fact("note", 1)
    assert empty.read_bytes() == b""
    foreign = tmp_path / "accounts.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    before = _digest(foreign)
    with pytest.raises(JournalError, match="another kind"):
        SqliteJournal(foreign, lock=False)
    assert _digest(foreign) == before
    assert _sidecars(empty) + _sidecars(foreign) == [False] * 6


@pytest.mark.parametrize("store", STORES)
def test_a_reader_opened_at_rest_sees_a_run_that_starts_later_and_leaves_no_trace(
    tmp_path: Path, store: Store
):
    path = tmp_path / "run.db"
    _written(store, path)
    with store(path, lock=False) as reader:  # type: ignore[call-arg, attr-defined]
        assert reader.entry("b").attempts == 1
        with store(path) as run:  # type: ignore[attr-defined]
            run.mark_pending("b", "busy")
            run.mark_intent("b")
            assert reader.entry("b").attempts == 2  # read through the run's WAL
        assert _sidecars(path) == [False, False, False]  # the reader held nothing open
        assert reader.entry("b").attempts == 2
    assert _sidecars(path) == [False, False, False]


@pytest.mark.parametrize("store", STORES)
def test_an_immutable_read_holds_the_run_lock_shared_so_no_run_starts_under_it(
    tmp_path: Path, store: Store, monkeypatch
):
    """``immutable`` tells SQLite nobody writes the file: a run starting during that read could
    show the reader torn pages.  So the read holds the run lock shared while it lasts."""
    path = tmp_path / "run.db"
    _written(store, path)
    reader = store(path, lock=False)  # type: ignore[call-arg]
    opened = reader._open  # type: ignore[attr-defined]
    probes: list[bool] = []

    def open_and_probe(**options: bool) -> sqlite3.Connection:
        with open(_lock_file_of(path), "ab") as probe:
            try:
                fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                probes.append(True)  # a run could not take the lock now
            else:
                probes.append(False)
        return opened(**options)  # type: ignore[no-any-return]

    monkeypatch.setattr(reader, "_open", open_and_probe)
    assert reader.entry("b").attempts == 1  # type: ignore[attr-defined]
    assert probes == [True]
    assert _sidecars(path) == [False, False, False]


@pytest.mark.parametrize("store", STORES)
def test_a_run_starting_during_a_read_waits_for_it_then_starts(
    tmp_path: Path, store: Store, monkeypatch
):
    path = tmp_path / "run.db"
    _written(store, path)
    reader = store(path, lock=False)  # type: ignore[call-arg]
    opened = reader._open  # type: ignore[attr-defined]
    waited = threading.Event()
    runs: list[object] = []
    real_wait = sqlite_store._wait_for_readers

    def wait_for_readers() -> None:
        waited.set()
        real_wait()

    def start_run() -> None:
        runs.append(store(path))

    def open_while_a_run_starts(**options: bool) -> sqlite3.Connection:
        starter.start()
        assert waited.wait(30), "the run did not wait for the read"
        return opened(**options)  # type: ignore[no-any-return]

    monkeypatch.setattr(sqlite_store, "_wait_for_readers", wait_for_readers)
    monkeypatch.setattr(reader, "_open", open_while_a_run_starts)
    starter = threading.Thread(target=start_run)
    assert reader.entry("b").attempts == 1  # type: ignore[attr-defined]
    starter.join()
    [run] = runs
    try:
        run.mark_pending("b", "busy")  # type: ignore[attr-defined]
        with pytest.raises(StoreLockedError):
            store(path)
    finally:
        run.close()  # type: ignore[attr-defined]
    monkeypatch.undo()
    assert reader.entry("b").state.value == "pending"  # type: ignore[attr-defined]
