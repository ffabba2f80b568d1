"""The sweep benchmark at a tiny scale, so that bench/ cannot rot: both modes deliver every seeded row, the e-mails
reach the SMTP sink in another process over one connection per batch, and the table prints."""

from __future__ import annotations

from bench import sweep
from portal.models import Notification


def test_the_sweep_bench_delivers_every_row_in_both_modes(db, settings):
    results = [sweep.run(mode, rows=30, users=4, settings=settings) for mode in sweep.MODES]

    email, in_app = results
    assert (email.sent, email.emails, email.connections) == (30, 30, 1)
    assert (in_app.sent, in_app.emails, in_app.connections) == (30, 0, 0)
    assert email.per_second > 0 and in_app.cpu_seconds > 0
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}
    table = sweep.format_table(results)
    assert "deliveries/s" in table and "per CPU-s" in table and "in_app" in table
