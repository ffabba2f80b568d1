"""Colours of choices, declared on the choice classes (NetBox's habit: a status colour is data of the status).

A choice class opts in by mixing in ``ColouredChoices`` and declaring ``colours`` beside its members::

    class Status(ColouredChoices, models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("In force")

        colours = Colours(active="success", otherwise="secondary")

Django's choices stay ``(value, label)`` pairs, so migrations do not see the colours. Templates render them through
one tag, ``{% badge obj "status" %}`` (portal/templatetags/gongjian.py).
"""

# The colour of a value a class does not colour (and of "no value"): a grey badge.
NEUTRAL = "secondary"

# Bootstrap's colours; "light" needs a border to show on white.
COLOURS = frozenset({"primary", "secondary", "success", "danger", "warning", "info", "light", "dark"})


class Colours(dict):
    """A choice class's ``value → Bootstrap colour`` mapping; ``otherwise`` colours the values it does not name.

    It is a descriptor only so that the enum machinery keeps it as a plain class attribute instead of turning it
    into a member.
    """

    def __init__(self, *, otherwise: str = NEUTRAL, **colours: str):
        unknown = {*colours.values(), otherwise} - COLOURS
        if unknown:
            raise ValueError(f"not Bootstrap colours: {sorted(unknown)}")
        super().__init__(colours)
        self.otherwise = otherwise

    def __get__(self, instance, owner):
        return self


class ColouredChoices:
    """Mixin for ``TextChoices`` whose members have a colour: ``Status.colour(value)``."""

    colours = Colours()

    @classmethod
    def colour(cls, value) -> str:
        """The Bootstrap colour of ``value`` (a member or its raw value); ``NEUTRAL`` for what is not a value."""
        if value is None or str(value) not in cls.values:
            return NEUTRAL
        return cls.colours.get(str(value), cls.colours.otherwise)
