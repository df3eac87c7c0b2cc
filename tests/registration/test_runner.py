"""register_units against a scripted centre: outcomes, retries, reconciliation, resumption."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest

from idcode_async import (
    AuthError,
    BusyError,
    DuplicateError,
    HttpStatusError,
    IdcodeClient,
    InvalidParameterError,
    ResponseDecodeError,
    RetryPolicy,
    TimeoutError,
    TransportError,
)
from idcode_async.durable.outcome import ErrorKind, classify
from idcode_async.registration import (
    BatchAbortedError,
    JournalLockedError,
    LocalPacer,
    RowOutcome,
    RowState,
    SourceRow,
    SqliteJournal,
    register_units,
)
from idcode_async.registration.runner import EXISTING_CODES

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .centre import Centre
from .conftest import unit

FAST = RetryPolicy(max_retries=3, backoff_base=0)


class CountingPacer:
    """A LocalPacer that counts its slots: every 309 attempt must take one."""

    def __init__(self) -> None:
        self.inner = LocalPacer(0, 0)
        self.slots = 0

    def slot(self) -> AbstractAsyncContextManager[None]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self.inner.slot():
            self.slots += 1
            yield


async def run(client, rows, journal, **kwargs):
    outcomes: list[RowOutcome] = []
    kwargs.setdefault("pacer", LocalPacer(0, 0))
    kwargs.setdefault("retry", FAST)
    summary = await register_units(
        client, rows, journal=journal, on_outcome=outcomes.append, **kwargs
    )
    return summary, {o.row: o for o in outcomes}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "run.db"


async def test_registers_valid_rows_and_never_sends_invalid_ones(client, centre, db):
    rows = [
        SourceRow(2, unit(1)),
        SourceRow(3, None, "code must be an integer, got 'x'"),
        SourceRow(4, unit(2, linkphone="12")),
        SourceRow(5, unit(3)),
    ]
    summary, outcomes = await run(client, rows, db)
    assert (summary.total, summary.registered, summary.invalid, summary.failed) == (4, 2, 2, 0)
    assert summary.pending == 0
    assert summary.complete
    assert summary.submissions == 2
    assert outcomes[2].status == "registered"
    assert outcomes[2].organunit_idcode == "i.86.110105.1"
    assert outcomes[2].login_name == unit(1).login_name
    assert outcomes[2].attempts == 1
    assert outcomes[4].status == "invalid"
    assert outcomes[4].message == "linkphone must be an 11-digit mainland mobile number"
    assert set(centre.submissions) == {unit(1).organunit_name, unit(3).organunit_name}
    assert centre.count("/addresses") == 1


async def test_101_is_fetched_once_per_client(client, centre, tmp_path):
    await run(client, [unit(1)], tmp_path / "a.db")
    await run(client, [unit(2)], tmp_path / "b.db")
    assert centre.count("/addresses") == 1


async def test_a_journal_in_use_is_refused_before_any_request(client, centre, db):
    holder = SqliteJournal(db)
    try:
        with pytest.raises(JournalLockedError, match="in use by another run"):
            await run(client, [unit(1)], db)
    finally:
        holder.close()
    assert centre.calls == [], "the 101 lookup ran although the journal could not be used"


async def test_every_attempt_takes_a_pacer_slot_and_busy_is_retried(client, centre, db):
    centre.script = ["busy", "connect", "busy"]
    pacer = CountingPacer()
    summary, outcomes = await run(client, [unit(1)], db, pacer=pacer)
    assert outcomes[1].status == "registered"
    assert outcomes[1].attempts == 4
    assert summary.submissions == 4
    assert pacer.slots == centre.count("/unit/regist") == 4
    assert centre.submissions[unit(1).organunit_name] == 1


async def test_duplicate_name_is_existing_with_the_main_code_from_307(client, centre, db):
    code = centre.add_unit(unit(1).organunit_name)
    summary, outcomes = await run(client, [unit(1)], db)
    outcome = outcomes[1]
    assert (outcome.status, outcome.code, outcome.organunit_idcode) == ("existing", 10007, code)
    assert "main code from 307" in outcome.message
    assert summary.existing == 1
    assert summary.complete


async def test_duplicate_user_name_is_existing_even_when_307_cannot_find_it(client, centre, db):
    centre.add_unit("另一个名字的公司", login=unit(1).login_name)
    _, outcomes = await run(client, [unit(1)], db)
    assert (outcomes[1].status, outcomes[1].code) == ("existing", 10008)
    assert outcomes[1].organunit_idcode is None
    assert "307 did not find" in outcomes[1].message


@pytest.mark.parametrize("fault", ["timeout-after", "drop-after", "html-after"])
async def test_a_lost_answer_is_reconciled_never_resent(client, centre, db, fault):
    centre.script = [fault]
    summary, outcomes = await run(client, [unit(1)], db)
    outcome = outcomes[1]
    assert outcome.status == "registered"
    assert outcome.reconciled
    assert outcome.organunit_idcode == "i.86.110105.1"
    assert centre.count("/unit/regist") == 1
    assert centre.submissions[unit(1).organunit_name] == 1
    assert (summary.submissions, summary.reconciled) == (1, 1)


@pytest.mark.parametrize("fault", ["timeout-before", "drop-before", "html-before"])
async def test_a_request_that_did_not_arrive_is_resent_after_307_says_so(client, centre, db, fault):
    centre.script = [fault]
    summary, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"
    assert not outcomes[1].reconciled
    assert centre.count("/unit/regist") == 2
    assert centre.count("/companyinfo/search") == 1
    assert centre.submissions[unit(1).organunit_name] == 1
    assert summary.submissions == 2


async def test_a_refusal_fails_the_row_and_a_rerun_leaves_it_unless_asked(client, centre, db):
    centre.script = ["code:30002"]
    summary, outcomes = await run(client, [unit(1), unit(2)], db)
    assert (outcomes[1].status, outcomes[1].code) == ("failed", 30002)
    assert outcomes[2].status == "registered"
    assert not summary.complete
    sent = centre.count("/unit/regist")
    summary, outcomes = await run(client, [unit(1), unit(2)], db)
    assert centre.count("/unit/regist") == sent
    assert outcomes[1].resumed
    assert outcomes[1].status == "failed"
    assert summary.resumed == 2
    summary, outcomes = await run(client, [unit(1), unit(2)], db, retry_failed=True)
    assert outcomes[1].status == "registered"
    assert centre.count("/unit/regist") == sent + 1


async def test_a_refused_token_stops_the_run_and_keeps_the_row_pending(client, centre, db):
    centre.script = ["ok", "code:10001"]
    with pytest.raises(BatchAbortedError, match="access token was refused") as info:
        await run(client, [unit(1), unit(2), unit(3)], db)
    assert (info.value.summary.registered, info.value.summary.pending) == (1, 2)
    assert centre.count("/unit/regist") == 2
    with SqliteJournal(db) as journal:
        assert journal.entry(unit(2).key).state is RowState.PENDING
    _, outcomes = await run(client, [unit(1), unit(2), unit(3)], db)
    assert [outcomes[i].status for i in (1, 2, 3)] == ["registered"] * 3
    assert outcomes[1].resumed


async def test_busy_to_the_end_fails_for_now_and_the_next_run_sends_again(client, centre, db):
    centre.script = ["busy"] * 4
    _summary, outcomes = await run(client, [unit(1)], db)
    assert (outcomes[1].status, outcomes[1].code) == ("failed", -1)
    assert "nothing was registered: the next run sends it" in outcomes[1].message
    assert outcomes[1].attempts == centre.count("/unit/regist") > 1  # as the journal counts
    with SqliteJournal(db) as journal:
        assert journal.entry(unit(1).key).state is RowState.PENDING
    _, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"


async def test_lost_answers_to_the_end_leave_the_row_for_307_next_time(client, centre, db):
    centre.script = ["timeout-before", "timeout-before"]
    _, outcomes = await run(client, [unit(1)], db, retry=RetryPolicy(max_retries=1, backoff_base=0))
    assert outcomes[1].status == "failed"
    assert "settles it with 307 first" in outcomes[1].message
    with SqliteJournal(db) as journal:
        assert journal.entry(unit(1).key).state is RowState.UNKNOWN
    searches = centre.count("/companyinfo/search")
    _, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"
    assert centre.count("/companyinfo/search") == searches + 1


async def test_a_centre_that_never_answers_stops_the_run(client, centre, db):
    centre.script = ["busy"] * 100
    with pytest.raises(BatchAbortedError, match="2 rows in a row") as info:
        await run(
            client,
            [unit(i) for i in range(1, 6)],
            db,
            retry=RetryPolicy(max_retries=1, backoff_base=0),
            abort_after=2,
        )
    assert info.value.summary.failed == 2
    assert info.value.summary.pending == 3
    assert centre.count("/unit/regist") == 4


async def test_an_in_flight_row_found_by_307_is_settled_without_a_request(client, centre, db):
    with SqliteJournal(db) as journal:  # a run that died after its intent was recorded
        journal.add_pending(
            [
                (
                    unit(1).key,
                    2,
                    {
                        "organunit_name": unit(1).organunit_name,
                        "name_key": unit(1).name_key,
                        "login_name": "x",
                    },
                )
            ]
        )
        journal.mark_intent(unit(1).key)
    centre.add_unit(unit(1).organunit_name, unit(1).login_name)  # …and whose request arrived
    summary, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"
    assert outcomes[1].reconciled
    assert outcomes[1].attempts == 1
    assert centre.count("/unit/regist") == 0
    assert summary.reconciled == 1


async def test_an_in_flight_row_unknown_to_307_is_sent(client, centre, db):
    with SqliteJournal(db) as journal:
        journal.add_pending(
            [
                (
                    unit(1).key,
                    2,
                    {
                        "organunit_name": unit(1).organunit_name,
                        "name_key": unit(1).name_key,
                        "login_name": "x",
                    },
                )
            ]
        )
        journal.mark_intent(unit(1).key)
    _, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"
    assert outcomes[1].attempts == 2
    assert centre.count("/unit/regist") == 1


async def test_an_edited_row_of_a_registered_unit_is_not_sent_again(client, centre, db):
    await run(client, [unit(1)], db)
    edited = unit(1, linkphone="13900139000")
    assert edited.key != unit(1).key
    _, outcomes = await run(client, [edited], db)
    assert outcomes[1].status == "registered"
    assert outcomes[1].reconciled
    assert centre.count("/unit/regist") == 1


async def test_an_edited_row_of_an_existing_unit_is_settled_existing_by_307(client, centre, db):
    centre.add_unit(unit(1).organunit_name, "someone-else")  # registered before our runs
    _, first = await run(client, [unit(1)], db)
    assert first[1].status == "existing"
    _, outcomes = await run(client, [unit(1, linkphone="13900139000")], db)
    assert (outcomes[1].status, outcomes[1].reconciled) == ("existing", True)
    assert outcomes[1].message == "307 shows the unit name is already registered"
    assert centre.count("/unit/regist") == 1


async def test_stop_lets_the_request_in_flight_finish_and_journals_it(client, centre, db):
    stop = anyio.Event()
    centre.on_309 = lambda name: stop.set()
    summary, outcomes = await run(client, [unit(1), unit(2), unit(3)], db, stop=stop)
    assert summary.interrupted
    assert (summary.registered, summary.pending) == (1, 2)
    assert outcomes[1].status == "registered"
    assert centre.count("/unit/regist") == 1
    with SqliteJournal(db) as journal:
        assert journal.entry(unit(1).key).outcome == "registered"
    centre.on_309 = None
    summary, outcomes = await run(client, [unit(1), unit(2), unit(3)], db)
    assert (summary.registered, summary.resumed, summary.submissions) == (3, 1, 2)


async def test_cancellation_journals_the_row_in_flight_as_unknown(db):
    arrived = anyio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/addresses"):
            return Centre()(request)
        arrived.set()
        await anyio.sleep(30)
        raise AssertionError("unreachable")

    async with (
        IdcodeClient(
            access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=httpx.MockTransport(slow)
        ) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(run, client, [unit(1)], db)
        await arrived.wait()
        group.cancel_scope.cancel()
    with SqliteJournal(db) as journal:
        entry = journal.entry(unit(1).key)
    assert entry.state is RowState.UNKNOWN
    assert entry.message == "cancelled while the request was in flight"


async def test_dry_run_checks_and_sends_nothing(client, centre, db):
    summary, outcomes = await run(client, [unit(1), unit(2, linkphone="1")], db, dry_run=True)
    assert summary.dry_run
    assert (summary.invalid, summary.pending, summary.submissions) == (1, 1, 0)
    assert centre.count("/unit/regist") == 0
    assert not db.exists()
    assert list(outcomes) == [2]


async def test_dry_run_on_an_existing_journal_reports_done_rows(client, centre, db):
    await run(client, [unit(1)], db)
    summary, _ = await run(client, [unit(1), unit(2)], db, dry_run=True)
    assert (summary.registered, summary.resumed, summary.pending) == (1, 1, 1)
    with SqliteJournal(db) as journal:
        assert unit(2).key not in {e.key for e in journal.entries()}


async def test_progress_counts_rate_and_eta(client, centre, db):
    snapshots = []
    rows = [unit(i) for i in range(1, 6)] + [unit(9, linkphone="1")]
    await register_units(
        client,
        rows,
        journal=db,
        pacer=LocalPacer(0.01, 0.01),
        on_progress=snapshots.append,
    )
    assert [s.done for s in snapshots] == [1, 2, 3, 4, 5, 6]
    assert (snapshots[0].invalid, snapshots[0].rate, snapshots[0].eta) == (1, None, None)
    assert snapshots[1].eta is not None
    assert snapshots[1].eta > 0
    last = snapshots[-1]
    assert (last.total, last.registered, last.invalid, last.remaining) == (6, 5, 1, 0)
    assert last.rate is not None
    assert last.rate > 0
    assert last.eta == 0


async def test_async_iterable_input_and_positions_as_row_numbers(client, centre, db):
    async def produce():
        for i in (1, 2):
            yield unit(i)

    _, outcomes = await run(client, produce(), db)
    assert sorted(outcomes) == [1, 2]


async def test_an_empty_main_code_is_looked_up(client, centre, db):
    centre.script = ["empty-code"]
    _, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].organunit_idcode == "i.86.110105.1"
    assert outcomes[1].message == "309 returned no main code; main code from 307"


async def test_workers_follow_the_pacer_concurrency(client, centre, db):
    summary, _ = await run(
        client, [unit(i) for i in range(1, 7)], db, pacer=LocalPacer(0, 0, concurrency=3)
    )
    assert summary.registered == 6


def test_a_batch_runs_under_trio(tmp_path):
    async def main() -> int:
        centre = Centre()
        async with IdcodeClient(
            access_token=TEST_TOKEN, auth_code=TEST_AUTH_CODE, transport=centre.transport()
        ) as client:
            summary, _ = await run(client, [unit(1), unit(2)], tmp_path / "run.db")
        return summary.registered

    assert anyio.run(main, backend="trio") == 2


def _transport(cause: Exception) -> TransportError:
    error = TransportError(str(cause), endpoint=309)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (BusyError(-1, "busy", 309), ErrorKind.NOT_APPLIED),
        (_transport(httpx.ConnectError("refused")), ErrorKind.NOT_APPLIED),
        (_transport(httpx.ConnectTimeout("connect")), ErrorKind.NOT_APPLIED),
        (_transport(httpx.PoolTimeout("pool")), ErrorKind.NOT_APPLIED),
        (DuplicateError(10007, "exists", 309), ErrorKind.EXISTS),
        (DuplicateError(10008, "exists", 309), ErrorKind.EXISTS),
        (AuthError(10001, "no key", 309), ErrorKind.FATAL),
        (AuthError(10002, "disabled", 309), ErrorKind.FATAL),
        (InvalidParameterError(10000, "bad", 309), ErrorKind.REFUSED),
        (DuplicateError(50001, "dup model", 309), ErrorKind.REFUSED),
        (_transport(httpx.ReadTimeout("read")), ErrorKind.AMBIGUOUS),
        (_transport(httpx.RemoteProtocolError("dropped")), ErrorKind.AMBIGUOUS),
        (TimeoutError("read", endpoint=309), ErrorKind.AMBIGUOUS),
        (HttpStatusError(500, endpoint=309), ErrorKind.AMBIGUOUS),
        (ResponseDecodeError("html", status_code=502, is_html=True), ErrorKind.AMBIGUOUS),
    ],
)
def test_classify(error, kind):
    assert classify(error, EXISTING_CODES) is kind


async def test_10007_after_a_lost_answer_is_our_registration(client, centre, db):
    # The first request arrives but its answer is lost, and 307 does not show the unit yet
    # (a lagging search index): the resend is refused with 10007, which is our own unit.
    centre.script = ["timeout-after"]
    centre.search_script = ["lag"]
    real_search = centre._search

    def lagging(fields: dict[str, str]):
        if centre.search_script and centre.search_script[0] == "lag":
            centre.search_script.pop(0)
            return httpx.Response(200, json={"result_code": 10006, "result_msg": "无"})
        return real_search(fields)

    centre._search = lagging  # type: ignore[method-assign]
    summary, outcomes = await run(client, [unit(1)], db)
    outcome = outcomes[1]
    assert (outcome.status, outcome.reconciled, outcome.code) == ("registered", True, None)
    assert outcome.organunit_idcode == "i.86.110105.1"
    assert outcome.message.startswith("10007 after a lost answer")
    assert summary.existing == 0


async def test_stop_while_waiting_for_the_slot_sends_nothing(client, centre, db):
    stop = anyio.Event()
    first_sent = anyio.Event()
    centre.on_309 = lambda name: first_sent.set()
    result = []

    async def batch() -> None:
        result.append(
            await run(client, [unit(1), unit(2)], db, stop=stop, pacer=LocalPacer(0.3, 0.3))
        )

    async with anyio.create_task_group() as group:
        group.start_soon(batch)
        await first_sent.wait()
        await anyio.sleep(0.1)  # row 2 now waits out the pause for its slot
        stop.set()
    summary, _ = result[0]
    assert centre.count("/unit/regist") == 1
    with SqliteJournal(db) as journal:
        entry = journal.entry(unit(2).key)
    assert (entry.state, entry.attempts) == (RowState.PENDING, 0)
    assert (summary.registered, summary.pending, summary.interrupted) == (1, 1, True)


async def test_a_failing_307_is_retried_before_the_row_is_sent(client, centre, db):
    with SqliteJournal(db) as journal:
        journal.add_pending(
            [
                (
                    unit(1).key,
                    2,
                    {
                        "organunit_name": unit(1).organunit_name,
                        "name_key": unit(1).name_key,
                        "login_name": "x",
                    },
                )
            ]
        )
        journal.mark_intent(unit(1).key)
    centre.search_script = ["busy"] * 3  # the client's own read retries (2) are used up once
    summary, outcomes = await run(client, [unit(1)], db)
    assert outcomes[1].status == "registered"
    assert centre.count("/companyinfo/search") == 4
    assert centre.count("/unit/regist") == 1
    assert summary.submissions == 1


async def test_a_307_that_never_answers_leaves_the_row_unknown(client, centre, db):
    with SqliteJournal(db) as journal:
        journal.add_pending(
            [
                (
                    unit(1).key,
                    2,
                    {
                        "organunit_name": unit(1).organunit_name,
                        "name_key": unit(1).name_key,
                        "login_name": "x",
                    },
                )
            ]
        )
        journal.mark_intent(unit(1).key)
    centre.search_script = ["busy"] * 6
    _, outcomes = await run(client, [unit(1)], db, retry=RetryPolicy(max_retries=1, backoff_base=0))
    assert outcomes[1].status == "failed"
    assert "settles it with 307 first" in outcomes[1].message
    assert centre.count("/unit/regist") == 0
    with SqliteJournal(db) as journal:
        assert journal.entry(unit(1).key).state is RowState.IN_FLIGHT


async def test_a_refused_token_during_reconciliation_stops_the_run(client, centre, db):
    with SqliteJournal(db) as journal:
        journal.add_pending(
            [
                (
                    unit(1).key,
                    2,
                    {
                        "organunit_name": unit(1).organunit_name,
                        "name_key": unit(1).name_key,
                        "login_name": "x",
                    },
                )
            ]
        )
        journal.mark_intent(unit(1).key)
    centre.search_script = ["code:10002"]
    with pytest.raises(BatchAbortedError, match="10002"):
        await run(client, [unit(1), unit(2)], db)
    assert centre.count("/unit/regist") == 0


async def test_existing_when_307_fails_says_so(client, centre, db):
    centre.add_unit(unit(1).organunit_name)
    centre.search_script = ["busy"] * 3
    _, outcomes = await run(client, [unit(1)], db)
    assert (outcomes[1].status, outcomes[1].organunit_idcode) == ("existing", None)
    assert "the 307 lookup of its main code failed" in outcomes[1].message
