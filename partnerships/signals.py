"""Signals the partnerships app sends for later apps to act on inside the same write (partnerships never imports
them: activities connects its receivers in ``ActivitiesConfig.ready``).

Sent with ``send`` inside the service's durable transaction, so a receiver's ``ValidationError`` refuses the whole
write (nothing is saved) and the service's caller shows it like any of its own.
"""

from django.dispatch import Signal

# A meeting's time or host changed: ``meeting``, ``previous_starts_at``, ``actor``.
meeting_rescheduled = Signal()
# A meeting was called off: ``meeting``, ``actor``.
meeting_cancelled = Signal()
