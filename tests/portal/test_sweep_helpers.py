"""A reminder sweep in a burst asks for helper sweeps that only claim and deliver (portal/sweep.py): every row is
still sent exactly once, the helpers never plan and never ask for more. Celery runs the helper task in-process here
(eager), through the registered ``sweep_reminders`` task; real workers sharing a burst: bench/sweep_bench.py
``--processes 2``."""

from __future__ import annotations

from collections import Counter

from django.core import mail

from portal import sweep, tasks
from portal.models import Notification
from tests.portal.test_broker_down import broker_down  # noqa: F401 (a fixture)
from tests.portal.test_sweep_batches import NOW, due, titles_sent


def test_a_burst_is_shared_with_a_helper_and_every_row_goes_once(world, settings, monkeypatch):
    settings.SWEEP_HELPERS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    asked = []
    real_send = tasks.sweep_reminders.send_or_log
    monkeypatch.setattr(
        tasks.sweep_reminders,
        "send_or_log",
        lambda args=None, kwargs=None: asked.append(kwargs) or real_send(args, kwargs),
    )
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
    monkeypatch.setattr(tasks.sweep_reminders, "send_or_log", lambda args=None, kwargs=None: asked.append(kwargs))
    due(world.secretary1, 4)
    assert sweep.sweep(NOW)["sent"] == 4
    assert asked == []


def test_a_helper_only_delivers(world, settings, monkeypatch):
    settings.SWEEP_HELPERS = 3
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    asked = []
    monkeypatch.setattr(tasks.sweep_reminders, "send_or_log", lambda args=None, kwargs=None: asked.append(kwargs))
    monkeypatch.setattr(sweep, "plan", lambda now=None: (_ for _ in ()).throw(AssertionError("a helper planned")))
    due(world.secretary1, 12)
    assert tasks.sweep_reminders(helper=True) == {"sent": 12, "failed": 0}
    assert asked == []  # a helper never asks for more helpers


def test_a_burst_with_the_broker_down_is_sent_by_the_sweep_alone(world, settings, monkeypatch, broker_down, caplog):  # noqa: F811
    """Asking for a helper is a hint: with the broker unreachable the sweep logs it and sends every batch itself
    (before, the refused send raised in the middle of the first batch, leaving its rows claimed until recovery)."""
    settings.SWEEP_HELPERS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(sweep, "BATCH_SIZE", 5)
    due(world.secretary1, 13)
    assert sweep.sweep(NOW)["sent"] == 13
    assert Counter(Notification.objects.values_list("status", flat=True)) == {"sent": 13}
    assert len(mail.outbox) == 13 and set(titles_sent().values()) == {1}
    assert "could not enqueue" in caplog.text
