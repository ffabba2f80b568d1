"""Demo joint work for ``manage.py seed_demo``: co-construction agreements, a year of joint meetings with minutes,
decisions and supervised action items, built on the organizations and users of ``demo.engine.partnerships``.

What it makes (all of it invented) is told in ``demo.engine.joint_story`` and ``demo/stories/joint_work.toml``.

History is made "as of" the past: every write goes through the services, each run under
``demo.clock.as_of(moment)``, which makes ``django.utils.timezone.now`` return that moment. The services then validate against the date they would have
seen (an agreement is activated while its term runs, an item is due after its meeting), and ``created_at``,
``updated_at``, ``published_at``, the updates' times and the django-simple-history rows all carry the dates of the
story — no timestamp is patched afterwards. Dates are days from today on the demo's clock (``ctx.clock.story_day``:
the recent past day for day, the older past stretched so that the story's year fills every quarter the demo shows,
from its first day), so the demo always looks alive: meetings over the past five quarters, one in the next two
weeks, items due soon and overdue.

Idempotent: agreements are keyed by number, and an agreement that exists already is skipped with everything under
it; users by username; roles through ``membership_grant`` (which does nothing when the role is held).

Transactions: each agreement's story (the agreement, its meetings, minutes and items, the renewal of its
predecessor) is written in one ``transaction.atomic()`` of its own, through the services' private bodies
(``_agreement_create`` …, the public services being their durable wrappers), so the skip above is safe: an agreement
is there with its whole story or not at all, and a re-run after an interruption tells the missing ones. The liaisons
go through the public services, each its own transaction (every step is keyed, a re-run completes it).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from demo.clock import DemoClock
from demo.engine.context import DemoContext
from demo.engine.joint_story import (
    AGREEMENTS,
    CANCELLED,
    CONFIRM_NOTES,
    DONE,
    JOINT,
    KEEPER,
    LAST_JOINT_MEETING,
    MINUTES_ENDINGS,
    OPEN,
    PHOTO_NAMES,
    PROGRESS,
    REPORT_NAMES,
    RULED,
    SEED,
    SENT_BACK,
    SENT_BACK_DONE,
    UPCOMING,
    AgreementSpec,
    Dec,
    Direct,
    Item,
    Meeting,
    Outcome,
    Story,
    assignment,
    pdf_upload,
    png_upload,
)
from demo.engine.liaisons import ensure_liaisons
from partnerships.models import ActionItem, Agreement, Decision, Dimension, JointMeeting
from partnerships.services.action_items import (
    _action_item_cancel,
    _action_item_close,
    _action_item_confirm,
    _action_item_create,
    _action_item_send_back,
    _action_item_update_progress,
)
from partnerships.services.agreements import (
    _agreement_activate,
    _agreement_attach_document,
    _agreement_create,
    _agreement_renew,
    _agreement_terminate,
    _agreement_update,
)
from partnerships.services.meetings import _meeting_schedule
from partnerships.services.minutes import _minutes_correct, _minutes_publish, _minutes_save_draft

# --- building one agreement -------------------------------------------------------------------------------------


@dataclass
class Builder:
    """Turns one ``AgreementSpec`` into a ``Story`` and runs it."""

    spec: AgreementSpec
    ctx: DemoContext
    orgs: dict
    users: dict
    rng: random.Random
    story: Story
    agreement: Agreement | None = None
    predecessor: Agreement | None = None
    items: dict[str, ActionItem] = field(default_factory=dict)
    meetings: dict[str, JointMeeting] = field(default_factory=dict)

    # -- who does what
    def keeper(self, org_key: str):
        if self.spec.actor == "admin":
            return self.users["admin"]
        return self.users[KEEPER[org_key]]

    def party_keys(self) -> list[str]:
        spec = self.spec
        if spec.renews:
            return [party.org for party in next(s for s in AGREEMENTS if s.key == spec.renews).parties]
        return [party.org for party in spec.parties]

    def confirmer(self, item: Item, host: str | None):
        """The other side: the meeting's host when it is not the responsible party, else another party's keeper."""
        if host and host != item.party:
            return self.keeper(host)
        return self.keeper(next(key for key in self.party_keys() if key != item.party))

    def attendees(self) -> list:
        return [self.users[KEEPER[key]] for key in self.party_keys() if key in KEEPER]

    # -- the plan
    def plan(self) -> None:
        spec, story = self.spec, self.story
        story.at(spec.created, 9, 30, self.create)
        if spec.signed is not None:
            story.at(spec.signed, 10, 0, self.sign)
            if spec.document:
                story.at(spec.signed + 1, 15, 0, self.attach_document)
        elif spec.key == "draft":
            # A second pass on the text while negotiating: the goals grew by one line.
            story.at(spec.created + 15, 16, 0, self.revise_draft)
        extensions = {
            ruling.item: meeting.day + ruling.days
            for meeting in spec.meetings
            for ruling in meeting.rulings
            if ruling.outcome == Outcome.EXTEND
        }
        for index, meeting in enumerate(spec.meetings):
            self.plan_meeting(meeting)
            following = spec.meetings[index + 1].day if index + 1 < len(spec.meetings) else None
            for dec in meeting.decisions:
                for item in dec.items:
                    created = meeting.day + 2
                    due = extensions.get(item.title, meeting.day + item.due)
                    story.at(created, 9, 0, lambda m=meeting, d=dec, i=item: self.raise_item(m, d, i))
                    self.plan_item(item, created, due, meeting.host, following)
        for direct in spec.direct:
            story.at(direct.day, 11, 0, lambda d=direct: self.raise_direct(d))
            self.plan_item(direct.item, direct.day, direct.day + direct.item.due, None, None)
        if spec.terminated:
            story.at(spec.terminated[0], 10, 0, self.terminate)

    def plan_meeting(self, meeting: Meeting) -> None:
        story = self.story
        story.at(meeting.day - 7, 10, 0, lambda: self.schedule(meeting))
        if meeting.minutes:
            story.at(meeting.day + 1, 10, 0, lambda: self.record_minutes(meeting))
        if meeting.publish:
            story.at(meeting.day + 1, 17, 0, lambda: self.publish(meeting))
        if meeting.correction:
            story.at(meeting.day + 4, 11, 0, lambda: self.correct(meeting))

    def plan_item(self, item: Item, created: int, due: int, host: str | None, following: int | None) -> None:
        """Spread the item's progress, closing and confirmation between its creation and its due date (or today)."""
        story, rng = self.story, self.rng
        latest = -1  # the last day of the story: yesterday
        fate = item.fate
        notes = list(item.notes)
        if fate == OPEN:
            return
        if fate == CANCELLED:
            cancel_day = min(created + max((due - created) // 2, 3), latest)
            self.spread(item, notes, created + 2, cancel_day - 1, closing=False)
            story.at(cancel_day, 16, 0, lambda: self.cancel(item))
            return
        if fate == RULED:
            # Kept open until the next meeting rules on it (scheduled seven days before that meeting).
            end = min(due, following - 9) if following is not None else min(due, latest)
            self.spread(item, notes, created + 3, end, closing=False)
            return
        if fate == PROGRESS:
            end = min(due - 2, latest) if due - 2 > created + 3 else min(due, latest)
            self.spread(item, notes, created + 3, end, closing=False)
            return
        span = max(due - created, 6)
        if fate in (SENT_BACK, SENT_BACK_DONE):
            first, rework = notes[:-1], notes[-1:]
            close_day = min(created + int(span * 0.6), latest - 8)
            self.spread(item, first, created + 2, close_day - 2, closing=True)
            story.at(close_day, 17, 0, lambda: self.close(item))
            story.at(close_day + 2, 9, 30, lambda: self.send_back(item, host))
            self.spread(item, rework, close_day + 5, close_day + 5, closing=True, start_percent=85)
            if fate == SENT_BACK_DONE:
                story.at(close_day + 8, 17, 0, lambda: self.close(item, again=True))
                story.at(close_day + 10, 10, 0, lambda: self.confirm(item, host))
            return
        factor = rng.uniform(0.6, 0.95) if fate == DONE else rng.uniform(0.75, 0.95)
        close_day = created + int(span * factor)
        close_day = min(close_day, latest - 3 if fate == DONE else latest)
        self.spread(item, notes, created + 2, close_day - 2, closing=True)
        story.at(close_day, 16, 30, lambda: self.close(item))
        if fate == DONE:
            story.at(min(close_day + rng.randint(1, 3), latest), 10, 30, lambda: self.confirm(item, host))

    def spread(self, item: Item, notes: list[str], first: int, last: int, *, closing: bool, start_percent=0) -> None:
        """Post ``notes`` as progress updates evenly between days ``first`` and ``last`` with rising percentages."""
        if not notes:
            return
        last = max(last, first)
        count = len(notes)
        top = self.rng.choice((75, 80, 85)) if closing else self.rng.choice((50, 60, 70))
        for index, note in enumerate(notes):
            day = first + (last - first) * index // max(count - 1, 1) if count > 1 else last
            if start_percent:
                percent = start_percent
            else:
                percent = max(10, min(95, round(top * (index + 1) / count / 5) * 5 + self.rng.choice((-5, 0, 5))))
            with_photo = index == count - 1 and self.rng.random() < 0.7
            hour = self.rng.choice((10, 11, 15, 16))
            self.story.at(day, hour, 0, lambda n=note, p=percent, w=with_photo: self.progress(item, n, p, w))

    # -- the writes (each runs "as of" its moment)
    def create(self) -> None:
        spec = self.spec
        actor = self.users["admin"] if spec.actor == "admin" else self.keeper(spec.actor)
        if spec.renews:
            self.agreement = _agreement_renew(
                actor=actor,
                agreement=self.predecessor,
                number=spec.number,
                title=spec.title,
                term_start=self.story.day(spec.term_start),
                term_end=self.term_end(),
            )
            return
        start = self.story.day(spec.term_start)
        parties = [
            {
                "organization": self.orgs[party.org],
                "role": party.role,
                "signatory": party.signatory,
                "liaison": self.users[KEEPER[party.org]] if party.org in KEEPER else None,
                "commitments": party.commitments,
            }
            for party in spec.parties
        ]
        goals = spec.goals
        if spec.key == "draft":
            goals = goals.rsplit("\n", 1)[0]  # the last line is added while negotiating (revise_draft)
        self.agreement = _agreement_create(
            actor=actor,
            number=spec.number,
            title=spec.title,
            brand=spec.brand,
            goals=goals,
            parties=parties,
            dimensions=list(Dimension.objects.filter(name__in=spec.dimensions)),
            term_start=start,
            term_end=self.term_end(),
        )

    def term_end(self) -> dt.date:
        """A term that has ended ends on its story day (the renewal follows it); one still running keeps its length."""
        spec = self.spec
        last = spec.term_start + spec.term_days - 1
        if last < 0:
            return self.story.day(last)
        return self.story.day(spec.term_start) + dt.timedelta(days=spec.term_days - 1)

    def revise_draft(self) -> None:
        self.agreement = _agreement_update(
            actor=self.keeper(self.spec.actor), agreement=self.agreement, goals=self.spec.goals
        )

    def sign(self) -> None:
        actor = self.users["admin"] if self.spec.actor == "admin" else self.keeper(self.spec.actor)
        signed_on = self.story.day(self.spec.signed)
        self.agreement = _agreement_update(actor=actor, agreement=self.agreement, signed_on=signed_on)
        self.agreement = _agreement_activate(actor=actor, agreement=self.agreement)

    def attach_document(self) -> None:
        scan = pdf_upload(self.spec.document, f"Agreement {self.spec.number}", "Signed and sealed by all parties")
        self.agreement = _agreement_attach_document(
            actor=self.keeper(self.spec.actor), agreement=self.agreement, document=scan
        )

    def terminate(self) -> None:
        day, reason = self.spec.terminated
        self.agreement = _agreement_terminate(
            actor=self.users["admin"],
            agreement=self.agreement,
            reason=reason,
            on=self.story.day(day),
        )

    def schedule(self, meeting: Meeting) -> None:
        starts_at = timezone.make_aware(dt.datetime.combine(self.story.day(meeting.day), dt.time(14, 30)))
        self.meetings[meeting.title] = _meeting_schedule(
            actor=self.keeper(meeting.host),
            agreement=self.agreement,
            title=meeting.title,
            starts_at=starts_at,
            place=meeting.place,
            host=self.orgs[meeting.host],
            attendees=self.attendees(),
            guests="\n".join(meeting.guests),
            agenda=meeting.agenda,
        )

    def minutes_text(self, meeting: Meeting) -> str:
        lines = [meeting.minutes.strip()]
        if meeting.decisions or meeting.rulings:
            lines.append("会议议定以下事项：")
            listed = [f"- {dec.text}" for dec in meeting.decisions]
            listed += [f"- 关于“{ruling.item}”：{ruling.text}" for ruling in meeting.rulings]
            lines.append("\n".join(listed))
            lines.append(self.rng.choice(MINUTES_ENDINGS))
        return "\n\n".join(lines)

    def record_minutes(self, meeting: Meeting) -> None:
        day = self.story.day
        decisions = [assignment(dec, self.orgs, self.users, day(meeting.day + dec.due)) for dec in meeting.decisions]
        for ruling in meeting.rulings:
            row: dict = {"outcome": ruling.outcome, "carried_item": self.items[ruling.item], "text": ruling.text}
            if ruling.outcome == Outcome.EXTEND:
                row["due_on"] = self.story.day(meeting.day + ruling.days)
            elif ruling.outcome == Outcome.REASSIGN:
                row["responsible_party"] = self.orgs[ruling.party]
            decisions.append(row)
        self.meetings[meeting.title] = _minutes_save_draft(
            actor=self.keeper(meeting.host),
            meeting=self.meetings[meeting.title],
            minutes=self.minutes_text(meeting),
            attendee_ids=[user.pk for user in self.attendees()],
            guests="\n".join(meeting.guests),
            decisions=decisions,
        )

    def publish(self, meeting: Meeting) -> None:
        self.meetings[meeting.title] = _minutes_publish(
            actor=self.keeper(meeting.host), meeting=self.meetings[meeting.title]
        )

    def correct(self, meeting: Meeting) -> None:
        reason, old, new = meeting.correction
        current = self.meetings[meeting.title]
        current.refresh_from_db()
        _minutes_correct(
            actor=self.keeper(meeting.host), meeting=current, minutes=current.minutes.replace(old, new), reason=reason
        )

    def raise_item(self, meeting: Meeting, dec: Dec, item: Item) -> None:
        decision = self.meetings[meeting.title].decisions.get(text=dec.text)
        self._create_item(self.keeper(meeting.host), item, meeting.day, decision)

    def raise_direct(self, direct: Direct) -> None:
        self._create_item(self.keeper(direct.raiser), direct.item, direct.day, None)

    def _create_item(self, actor, item: Item, day: int, decision: Decision | None) -> None:
        person = self.users.get(KEEPER.get(item.party, ""))
        self.items[item.title] = _action_item_create(
            actor=actor,
            agreement=self.agreement,
            title=item.title,
            description=item.description,
            responsible_party=self.orgs[item.party],
            responsible_person=person,
            due_on=self.story.day(day + item.due),
            priority=item.priority,
            decision=decision,
        )

    def owner(self, item: Item):
        """Whoever keeps the item's responsible party now (a ruling may have reassigned it)."""
        current = self.items[item.title]
        current.refresh_from_db(fields=["responsible_party"])
        key = next(key for key, org in self.orgs.items() if org.pk == current.responsible_party_id)
        return self.keeper(key)

    def progress(self, item: Item, note: str, percent: int, with_photo: bool) -> None:
        evidence = [png_upload(self.rng, self.rng.choice(PHOTO_NAMES))] if with_photo else []
        _action_item_update_progress(
            actor=self.owner(item), item=self.items[item.title], note=note, percent=percent, evidence=evidence
        )

    def close(self, item: Item, again: bool = False) -> None:
        evidence = [pdf_upload(self.rng.choice(REPORT_NAMES), f"Action item report, agreement {self.spec.number}")]
        if self.rng.random() < 0.5:
            evidence.append(png_upload(self.rng, self.rng.choice(PHOTO_NAMES)))
        note = item.close or "已按要求办结，佐证材料见附件。"
        if again:
            note = f"已按退回意见补充完善。{note}"
        self.items[item.title] = _action_item_close(
            actor=self.owner(item), item=self.items[item.title], note=note, evidence=evidence
        )

    def confirm(self, item: Item, host: str | None) -> None:
        self.items[item.title] = _action_item_confirm(
            actor=self.confirmer(item, host), item=self.items[item.title], note=self.rng.choice(CONFIRM_NOTES)
        )

    def send_back(self, item: Item, host: str | None) -> None:
        self.items[item.title] = _action_item_send_back(
            actor=self.confirmer(item, host), item=self.items[item.title], reason=item.back
        )

    def cancel(self, item: Item) -> None:
        self.items[item.title] = _action_item_cancel(
            actor=self.owner(item), item=self.items[item.title], reason=item.cancel
        )


# --- seeding --------------------------------------------------------------------------------------------------


def seed(ctx: DemoContext) -> None:
    """Add the agreements, meetings, minutes and action items; an agreement already there is left as it is."""
    data = ctx.data["partnerships"]
    orgs, admin = data["organizations"], data["users"]["admin"]
    with translation.override(settings.LANGUAGE_CODE):
        liaisons = ensure_liaisons(ctx, admin, orgs)
        users = {**data["users"], **liaisons}
        today = ctx.clock.today
        existing = {a.number: a for a in Agreement.objects.filter(number__in=[s.number for s in AGREEMENTS])}
        agreements: dict[str, Agreement] = {}
        created = 0
        for done, spec in enumerate(AGREEMENTS, start=1):
            if spec.number in existing:
                agreements[spec.key] = existing[spec.number]
            elif spec.renews and spec.renews not in agreements:
                pass  # nothing to renew
            else:
                builder = Builder(spec, ctx, orgs, users, random.Random(f"{SEED}-{spec.key}"), Story(ctx.clock))
                builder.predecessor = agreements.get(spec.renews)
                # One agreement's whole story is one transaction (the services' private bodies, see the module's
                # docstring): a run interrupted mid-story leaves no half-told agreement for a re-run to skip.
                with transaction.atomic():
                    builder.plan()
                    builder.story.run()
                    builder.agreement.refresh_from_db()
                    if spec.key == "joint":
                        _schedule_upcoming(builder, today)
                agreements[spec.key] = builder.agreement
                created += 1
            ctx.progress("agreements", done, len(AGREEMENTS))
        for agreement in agreements.values():
            agreement.refresh_from_db()
    items = ActionItem.objects.filter(agreement__in=agreements.values())
    counts = {status: items.filter(status=status).count() for status in ActionItem.Status.values}
    ctx.step(
        f"agreements: {created} created, {len(AGREEMENTS) - created} already there; "
        f"meetings: {JointMeeting.objects.filter(agreement__in=agreements.values()).count()}; "
        f"action items: {items.count()} ("
        + ", ".join(f"{status} {count}" for status, count in counts.items())
        + f", overdue {items.overdue().count()})"
    )
    data["agreements"] = agreements
    data["partner_liaisons"] = liaisons
    upcoming = JointMeeting.objects.filter(agreement=agreements.get("joint"), title=UPCOMING.title).first()
    data["upcoming_meeting"] = upcoming


def resume_clock(clock: DemoClock) -> DemoClock:
    """The demo's clock, on the day the story was first told when the world is there already.

    The joint agreement's last meeting before today was held ``LAST_JOINT_MEETING.day`` days before that day (recent
    enough to be told day for day, and locked by its published minutes); reading it back keeps a re-run on a later
    day from drawing a second, shifted set of rows.
    """
    meeting = JointMeeting.objects.filter(agreement__number=JOINT.number, title=LAST_JOINT_MEETING.title).first()
    if meeting is None:
        return clock
    held_on = timezone.localtime(meeting.starts_at).date()
    return clock.resumed(held_on - dt.timedelta(days=LAST_JOINT_MEETING.day))


def _schedule_upcoming(builder: Builder, today: dt.date) -> None:
    """The next joint meeting, in the coming days: scheduled now, so its agenda carries over every open item."""
    starts_at = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=UPCOMING.day), dt.time(14, 30)))
    _meeting_schedule(
        actor=builder.keeper(UPCOMING.host),
        agreement=builder.agreement,
        title=UPCOMING.title,
        starts_at=starts_at,
        place=UPCOMING.place,
        host=builder.orgs[UPCOMING.host],
        attendees=builder.attendees(),
        guests="\n".join(UPCOMING.guests),
        agenda=UPCOMING.agenda,
    )
