"""How the portal names a person: one rule for pages, printed minutes, e-mails, robots, the iCal feed and exports.

A Chinese name is written family name first with no space (周振华); a Latin one "Given Family" (Anna Schmidt). The
login name is shown only when a user has no name at all. Forms label people by name and tell two people of the same
name apart by their organizations, never by login name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from portal.models import Membership

# Han (with extensions A and the compatibility block), kana and Hangul: scripts written family name first, unspaced.
_CJK_RANGES = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)


def _is_cjk(text: str) -> bool:
    return any(lo <= ord(char) <= hi for char in text for lo, hi in _CJK_RANGES)


def display_name(user) -> str:
    """The name to show for ``user``: 周振华, "Anna Schmidt", or the login name when no name is set."""
    if user is None:
        return ""
    family, given = (user.last_name or "").strip(), (user.first_name or "").strip()
    if not family and not given:
        return user.get_username()
    if not family or not given:
        return family or given
    if _is_cjk(family) or _is_cjk(given):
        return f"{family}{given}"
    return f"{given} {family}"


def choice_labels(people: Iterable) -> dict[int, str]:
    """Labels for a list of users: the name, and for names shared in the list, the people's organizations too."""
    people = list(people)
    names = {person.pk: display_name(person) for person in people}
    shared = {name for name, count in Counter(names.values()).items() if count > 1}
    if not shared:
        return names
    organizations: dict[int, list[str]] = {}
    rows = (
        Membership.objects.filter(user_id__in=[pk for pk, name in names.items() if name in shared])
        .order_by("organization__path")
        .values_list("user_id", "organization__name")
    )
    for user_id, organization in rows:
        if organization not in organizations.setdefault(user_id, []):
            organizations[user_id].append(organization)
    return {
        pk: f"{name}（{'、'.join(organizations[pk])}）" if name in shared and organizations.get(pk) else name
        for pk, name in names.items()
    }


class _PersonIterator(ModelChoiceIterator):
    """Choices for a person field: labelled by ``choice_labels`` over the whole queryset (one extra query at most)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        people = list(self.queryset)
        labels = choice_labels(people)
        for person in people:
            yield (ModelChoiceIteratorValue(self.field.prepare_value(person), person), labels[person.pk])


class PersonChoiceField(forms.ModelChoiceField):
    """Choose one user, labelled by name (organizations added for namesakes)."""

    iterator = _PersonIterator

    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """Choose several users, labelled by name (organizations added for namesakes)."""

    iterator = _PersonIterator

    def label_from_instance(self, obj) -> str:
        return display_name(obj)
