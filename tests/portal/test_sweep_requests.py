"""A notice asks for a sweep after its commit; inside ``sweep_requests_held`` (the demo's seeding) hundreds of
notices ask for one sweep at the end instead of one each."""

from __future__ import annotations

import pytest

from partnerships.services.notices import ITEM_ASSIGNED
from portal import sweep


class CountingTask:
    def __init__(self):
        self.asked = 0

    def delay_on_commit(self):
        self.asked += 1


@pytest.fixture
def task(monkeypatch):
    counting = CountingTask()
    monkeypatch.setattr(sweep, "_sweep_task", [counting])
    return counting


def _notice(world, occurrence: str) -> int:
    return sweep.notify_event(
        ITEM_ASSIGNED,
        actor=world.secretary1,
        target=world.branch_a,
        occurrence=occurrence,
        recipients=[world.liaison1],
        title="新督办事项",
    )


def test_each_notice_asks_for_a_sweep_of_its_own(world, task):
    assert _notice(world, "a") == 1 and _notice(world, "b") == 1
    assert task.asked == 2


def test_held_requests_become_one_sweep_on_the_way_out(world, task):
    with sweep.sweep_requests_held():
        for n in range(5):
            _notice(world, f"n{n}")
        with sweep.sweep_requests_held():  # nested blocks hand their request to the outer one
            _notice(world, "inner")
        assert task.asked == 0
    assert task.asked == 1


def test_a_held_block_that_made_no_notice_asks_for_nothing(world, task):
    with sweep.sweep_requests_held():
        _notice(world, "once")
    with sweep.sweep_requests_held():
        assert _notice(world, "once") == 0  # the same event again adds nothing
    assert task.asked == 1
