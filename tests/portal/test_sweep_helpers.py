"""A reminder sweep in a burst asks for helper sweeps that only claim and deliver (portal/sweep.py): every row is
still sent exactly once, the helpers never plan and never ask for more. Celery runs the helper task in-process here
(eager), through the registered ``sweep_reminders`` task; real workers sharing a burst: bench/sweep_bench.py
``--processes 2``."""

from __future__ import annotations

from collections import Counter

from django.core import mail

from portal import sweep, tasks
from portal.models import Notification
from tests.portal.test_sweep_batches import NOW, due, titles_sent


def test_a_burst_is_shared_with_a_helper_and_every_row_goes_once(world, settings, monkeypatch):
    settings.SWEEP_HELPERS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    asked = []
    real_delay = tasks.sweep_reminders.delay
    monkeypatch.setattr(tasks.sweep_reminders, "delay", lambda **kw: asked.append(kw) or real_delay(**kw))
    due(world.secretary1, 17)

    summary = sweep.sweep(NOW)

    # The helper (run at once, eagerly) took what was left after the first claim; the sweep sent its own batch.
    assert asked == [{"helper": True}]
    assert summary["sent"] == 5
    assert Counter(Notification.objects.values_list("status", flat=True)) == {"sent": 17}
    assert len(mail.outbox) == 17 and set(titles_sent().values()) == {1}


def test_one_batch_or_less_asks_for_no_helper(world, settings, monkeypatch):
    settings.SWEEP_HELPERS = 1
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    asked = []
    monkeypatch.setattr(tasks.sweep_reminders, "delay", lambda **kw: asked.append(kw))
    due(world.secretary1, 4)
    assert sweep.sweep(NOW)["sent"] == 4
    assert asked == []


def test_a_helper_only_delivers(world, settings, monkeypatch):
    settings.SWEEP_HELPERS = 3
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    asked = []
    monkeypatch.setattr(tasks.sweep_reminders, "delay", lambda **kw: asked.append(kw))
    monkeypatch.setattr(sweep, "plan", lambda now=None: (_ for _ in ()).throw(AssertionError("a helper planned")))
    due(world.secretary1, 12)
    assert tasks.sweep_reminders(helper=True) == {"sent": 12, "failed": 0}
    assert asked == []  # a helper never asks for more helpers
