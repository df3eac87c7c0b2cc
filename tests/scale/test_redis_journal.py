"""The shared journal's Lua scripts against a real redis-server: claims, leases, takeover."""

from __future__ import annotations

import json
import random
import time

import pytest

from idcode_async.durable.store import Settlement
from idcode_async.registration import JournalError, RowState
from idcode_async.scale._redis import connect_sync
from idcode_async.scale.redis_journal import LeaseLostError, RedisJournal

from ..registration.conftest import unit

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"


def journal(url: str, worker: str, **options: object) -> RedisJournal:
    return RedisJournal(connect_sync(url), "run-1", worker=worker, **options)


@pytest.fixture
def loaded(redis_url):
    """A run of 10 rows, loaded; yields a factory of workers' journals."""
    opened: list[RedisJournal] = []

    def open_journal(worker: str, **options: object) -> RedisJournal:
        opened.append(journal(redis_url, worker, **options))
        return opened[-1]

    loader = open_journal("loader")
    assert loader.load([(n + 2, unit(n)) for n in range(10)]) == 10
    yield open_journal
    for item in opened:
        item.redis.close()


def test_load_enters_rows_as_pending_once(loaded):
    loader = loaded("loader")
    assert loader.load([(n + 2, unit(n)) for n in range(12)]) == 2  # only the two new ones
    entries = {e.key: e for e in loader.entries()}
    assert [e.row for e in entries.values()] == list(range(2, 14))
    assert {e.state for e in entries.values()} == {RowState.PENDING}
    assert entries[unit(3).key].organunit_name == unit(3).organunit_name
    counts = loader.counts()
    assert (counts.items, counts.pending, counts.held, counts.done) == (12, 12, 0, 0)


def test_claims_go_in_row_order_and_never_to_two_workers(loaded):
    a, b = loaded("a"), loaded("b")
    first = a.claim(4)
    second = b.claim(4)
    assert [r.entry.row for r in first.items] == [2, 3, 4, 5]
    assert [r.entry.row for r in second.items] == [6, 7, 8, 9]
    assert [r.record for r in first.items] == [unit(n) for n in range(4)]
    assert (second.held, second.todo) == (8, 2)
    assert 0 < (second.next_expiry or 0) <= a.lease
    assert [r.entry.row for r in a.claim(10).items] == [10, 11]
    assert a.claim(10).items == ()


def test_only_the_holder_may_write_a_row(loaded):
    a, b = loaded("a"), loaded("b")
    key = a.claim(1).items[0].entry.key
    with pytest.raises(LeaseLostError, match="held by a"):
        b.mark_intent(key)
    with pytest.raises(LeaseLostError):
        b.settle(key, Settlement(outcome="registered", receipt="i.86.110105.1"))
    assert a.mark_intent(key) == 1
    a.settle(key, Settlement(outcome="registered", receipt="i.86.110105.1", reconciled=True))
    entry = a.entry(key)
    assert entry is not None
    assert (entry.state, entry.outcome, entry.attempts, entry.reconciled) == (
        RowState.DONE,
        "registered",
        1,
        True,
    )
    assert a.counts().held == 0  # an outcome ends the claim


def test_the_intent_needs_a_running_lease(loaded):
    a = loaded("a", lease=0.2)
    key = a.claim(1).items[0].entry.key
    time.sleep(0.3)
    with pytest.raises(LeaseLostError, match="expired"):
        a.mark_intent(key)
    # nobody claimed it meanwhile: the holder may still record what it knows
    a.mark_pending(key, "stopped")
    assert a.entry(key).state is RowState.PENDING


def test_a_crashed_workers_rows_are_taken_over_in_the_state_it_left_them(loaded):
    dead, alive = loaded("dead", lease=0.3), loaded("alive", lease=5)
    rows = dead.claim(3).items
    sent, unsent = rows[0].entry.key, rows[1].entry.key
    dead.mark_intent(sent)  # intent recorded, request maybe sent, then SIGKILL
    assert [r.entry.row for r in alive.claim(10).items] == list(range(5, 12))  # not the dead's
    time.sleep(0.35)
    taken = alive.claim(10)
    assert [r.entry.row for r in taken.items] == [2, 3, 4]
    by_key = {r.entry.key: r.entry for r in taken.items}
    assert by_key[sent].state is RowState.IN_FLIGHT
    assert by_key[sent].maybe_sent
    assert by_key[unsent].state is RowState.PENDING
    expired = [e for e in alive.events() if e["event"] == "lease-expired"]
    assert {e["key"] for e in expired} >= {sent, unsent}
    assert "held by dead, state in_flight" in [e["detail"] for e in expired if e["key"] == sent]
    with pytest.raises(LeaseLostError, match="held by alive"):
        dead.settle(
            sent, Settlement(outcome="registered")
        )  # the late answer of the dead worker is refused
    alive.settle(sent, Settlement(outcome="registered", reconciled=True))
    counts = alive.counts()
    assert (counts.in_flight, counts.registered, counts.submissions) == (0, 1, 1)


def test_renewal_keeps_a_live_workers_rows(loaded):
    a, b = loaded("a", lease=0.3), loaded("b", lease=0.3)
    keys = [r.entry.key for r in a.claim(10).items]
    for _ in range(6):
        time.sleep(0.1)
        assert a.renew(keys).lost == ()
    assert b.claim(10).items == ()
    time.sleep(0.35)
    assert len(b.claim(10).items) == 10
    renewal = a.renew(keys)
    assert set(renewal.lost) == set(keys)


def test_release_hands_back_unsettled_rows_at_once(loaded):
    a, b = loaded("a"), loaded("b")
    rows = a.claim(3).items
    a.settle(rows[0].entry.key, Settlement(outcome="existing", code=10007))
    a.mark_unknown(rows[1].entry.key, "read timeout")
    assert a.release([r.entry.key for r in rows], "out of tries") == 2
    again = b.claim(2)
    assert [r.entry.key for r in again.items] == [rows[1].entry.key, rows[2].entry.key]
    assert again.items[0].entry.state is RowState.UNKNOWN
    assert b.release([rows[0].entry.key]) == 0  # not b's, and done anyway


def test_a_row_claimed_too_often_is_stuck_until_the_run_is_loaded_again(loaded):
    a = loaded("a", max_claims=2)
    key = unit(0).key
    for _ in range(2):
        assert a.claim(1).items[0].entry.key == key
        a.release([key])
    assert a.claim(1).items[0].entry.key == unit(1).key  # row 2 was set aside
    assert a.counts().stuck == 1
    assert a.requeue() == (1, 0)
    assert a.counts().stuck == 0
    assert a.claim(1).items[0].entry.key == key  # fresh claims


def test_failed_rows_come_back_only_when_asked(loaded):
    a = loaded("a")
    key = a.claim(1).items[0].entry.key
    a.settle(key, Settlement(outcome="failed", code=10000, message="bad phone"))
    assert a.requeue() == (0, 0)
    assert a.entry(key).outcome == "failed"
    assert a.reset_failed() == 1
    assert a.entry(key).state is RowState.PENDING
    counts = a.counts()
    assert (counts.failed, counts.pending) == (0, 10)


def test_a_halt_stops_claims_and_shows_in_renewals(loaded):
    a, b = loaded("a"), loaded("b")
    keys = [r.entry.key for r in a.claim(2).items]
    b.halt("the access token was refused (10002: key disabled)")
    assert b.claim(5).halted == "the access token was refused (10002: key disabled)"
    assert a.renew(keys).halted is not None
    a.requeue()
    assert a.halted() is None


def test_the_claim_view_shows_the_claim_and_its_namesakes(loaded):
    loader = loaded("loader")
    renamed = unit(0, login_name="91110105MA99999999")  # same unit name, another row
    loader.load([(20, renamed)])
    a = loaded("a")
    claim = a.claim(1)
    view = a.view([claim.items[0].entry.key])
    assert {e.key for e in view.entries()} == {unit(0).key, renamed.key}
    view.add_pending([(unit(0).key, 2, {})])  # present: fine
    with pytest.raises(JournalError, match="not in run"):
        view.add_pending([("f" * 64, 99, {})])


def test_the_run_is_bound_to_one_centre(loaded):
    a = loaded("a")
    a.bind("http://127.0.0.1:1/")
    a.bind("http://127.0.0.1:1/")
    with pytest.raises(JournalError, match="records base_url"):
        a.bind("https://api.idcode.org.cn/")


def test_counts_follow_every_transition(loaded):
    """A random walk over the transitions: the counters always equal a recount."""
    rng = random.Random(3)
    workers = [loaded(f"w{n}") for n in range(3)]
    for _ in range(60):
        worker = rng.choice(workers)
        claim = worker.claim(rng.randint(1, 3))
        for row in claim.items:
            key = row.entry.key
            step = rng.choice(["send", "unknown", "pending", "done", "release"])
            if step == "send":
                worker.mark_intent(key)
            elif step == "unknown":
                worker.mark_intent(key)
                worker.mark_unknown(key, "lost")
            elif step == "pending":
                worker.mark_pending(key, "busy")
            elif step == "done":
                worker.settle(
                    key, Settlement(outcome=rng.choice(["registered", "existing", "failed"]))
                )
        worker.release([r.entry.key for r in claim.items])
        if rng.random() < 0.2:
            worker.requeue(retry_failed=rng.random() < 0.5)
        entries = worker.entries()
        counts = worker.counts()
        recount = {
            name: sum(1 for e in entries if (e.outcome if e.settled else e.state.value) == name)
            for name in ("pending", "in_flight", "unknown", "registered", "existing", "failed")
        }
        assert {name: getattr(counts, name) for name in recount} == recount
        assert counts.submissions == sum(e.attempts for e in entries)


def test_nothing_in_redis_is_a_secret(loaded, sync_redis):
    a = loaded("a")
    key = a.claim(1).items[0].entry.key
    a.mark_intent(key)
    a.mark_unknown(key, "https://x/?access_token=J7X4LuOOfURXeAAEAAAAAABSK&hash=ABC timed out")
    for name in sync_redis.keys("*"):
        kind = sync_redis.type(name)
        if kind == "hash":
            value = json.dumps(sync_redis.hgetall(name), ensure_ascii=False)
        elif kind == "list":
            value = json.dumps(sync_redis.lrange(name, 0, -1), ensure_ascii=False)
        else:
            value = json.dumps(sync_redis.zrange(name, 0, -1))
        blob = (name + value).lower()
        assert TOKEN.lower() not in blob
        for word in ("access_token=j", "hash=abc", "password", "auth_code"):
            assert word not in blob


def test_a_load_run_that_died_part_way_is_finished_by_loading_the_same_rows(redis_url, monkeypatch):
    """The settings are recorded before the rows: a load killed after its first chunk of rows
    leaves a run that the same command completes (a registration run takes rows it lacks)."""
    from idcode_async.scale import leased_store, load_run

    rows = [unit(n) for n in range(5)]
    real = RedisJournal._script
    loads = 0

    def dies_on_the_second_chunk(self, name, args):
        nonlocal loads
        loads += name == "load"
        if loads > 1:
            raise KeyboardInterrupt("killed while loading")
        return real(self, name, args)

    monkeypatch.setattr(leased_store, "_LOAD_CHUNK", 2)
    monkeypatch.setattr(RedisJournal, "_script", dies_on_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        load_run(redis_url, rows, "run-1", access_token=TOKEN, check_regions=False)
    monkeypatch.setattr(RedisJournal, "_script", real)
    reader = journal(redis_url, "reader")
    assert len(reader.entries()) == 2
    report = load_run(redis_url, rows, "run-1", access_token=TOKEN, check_regions=False)
    assert (report.valid, report.new) == (5, 3)
    assert [e.row for e in reader.entries()] == [1, 2, 3, 4, 5]
    with pytest.raises(JournalError, match="another access token"):
        load_run(redis_url, rows, "run-1", access_token=TOKEN + "X", check_regions=False)
