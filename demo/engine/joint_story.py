"""The joint-work story as data for ``demo.engine.joint_work``: the item fates, the partner liaisons, the agreements
with their meetings, decisions and items (``demo/stories/joint_work.toml``), and the files attached along the way.

What it makes (all of it invented):

* ``joint`` (HD5-LJ-001): the 党建联建 of branch A, the general contractor's project branch (``liaison1``) and
  望江社区党委 — brand 红色引擎·共建地铁, in force, six joint meetings over the past year, one more scheduled within
  the next two weeks (its agenda carries over every open item), the signed scan attached.
* ``central_local`` (HD5-YD-001): the 央地共建 of branch A and the high-tech zone's 党工委, quarterly meetings.
* ``private_old`` (HD5-QY-001) → ``private`` (HD5-QY-002): branch A and the private technology supplier; the first
  agreement ran out about three months ago and was renewed (predecessor / successor).
* ``draft`` (HD5-ZJ-001): a draft being negotiated with the district construction bureau, one meeting with draft
  minutes.
* ``terminated`` (KCC-GJ-001): the 科创城 joint branch and the zone's office branch, ended early with a reason.

Branch B (``secretary2``) is a party to none of them. Partners without a liaison get one demo user each
(``liaison2`` … ``liaison5``), holding the liaison role there.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from demo.clock import STORY_RECENT, DemoClock, as_of
from demo.engine.stories import build, plain, story
from partnerships.models import ActionItem, AgreementParty, Decision
from portal.models import Membership

SEED = 20261121

Role = Membership.Role
Priority = ActionItem.Priority
Outcome = Decision.Outcome
INITIATOR = AgreementParty.Role.INITIATOR
PARTNER = AgreementParty.Role.PARTNER

# Item fates: where the story leaves each item today.
OPEN = "open"  # raised, not started
PROGRESS = "progress"  # progress posted, still being worked on
AWAITING = "awaiting"  # closure requested, waiting for the other side
DONE = "done"  # closure requested and confirmed
SENT_BACK = "sent_back"  # closure requested, sent back, worked on again
SENT_BACK_DONE = "sent_back_done"  # sent back once, then closed and confirmed
CANCELLED = "cancelled"
RULED = "ruled"  # progress posted; a later joint meeting closes it by ruling


# --- the partner liaisons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiaisonSpec:
    username: str
    last_name: str
    first_name: str
    email: str
    org: str  # where the user is liaison officer
    roster_org: str  # whose roster has their row (the directory's contact person)


STORY = story("joint_work")  # demo/stories/joint_work.toml

LIAISONS: tuple[LiaisonSpec, ...] = build(tuple[LiaisonSpec, ...], STORY["liaisons"])

# The user who keeps each party's record: its liaison officer (branch A's secretary doubles as liaison).
KEEPER = plain(STORY["keeper"])


# --- the story, as data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An action item and how far it has got. ``due`` counts days after its meeting (or after it was raised)."""

    title: str
    party: str
    due: int
    fate: str
    notes: tuple[str, ...] = ()  # progress notes, in order (after a send-back, the last one is the rework)
    close: str = ""  # the closing request's note
    back: str = ""  # why the other side sent the closure back
    cancel: str = ""
    priority: int = Priority.NORMAL
    description: str = ""


@dataclass(frozen=True)
class Dec:
    """A decision. One of draft minutes may name its ``party`` (with ``due`` days after the meeting and ``priority``):
    publishing the minutes makes it an action item (shown to demo users before they publish)."""

    text: str
    items: tuple[Item, ...] = ()
    party: str = ""
    due: int = 0
    priority: int = Priority.NORMAL


def assignment(dec: Dec, orgs: dict, users: dict, due_on: dt.date) -> dict:
    """A new decision as the minutes form sends it; one naming a party becomes an action item when published."""
    row: dict = {"text": dec.text, "outcome": Outcome.NEW}
    if dec.party:
        person = users.get(KEEPER.get(dec.party, ""))
        row.update(responsible_party=orgs[dec.party], responsible_person=person, due_on=due_on, priority=dec.priority)
    return row


@dataclass(frozen=True)
class Ruling:
    """A ruling on a carried-over item: extend (``days`` after the meeting), reassign (to ``party``) or close."""

    item: str
    outcome: str
    text: str
    days: int = 0
    party: str = ""


@dataclass(frozen=True)
class Meeting:
    title: str
    day: int  # days from today; negative is the past
    host: str
    place: str
    agenda: tuple[str, ...]
    minutes: str = ""  # the narrative (light Markdown); the decisions are listed after it
    decisions: tuple[Dec, ...] = ()
    rulings: tuple[Ruling, ...] = ()
    guests: tuple[str, ...] = ()
    publish: bool = True
    correction: tuple[str, str, str] | None = None  # (reason, text replaced, replacement)


@dataclass(frozen=True)
class Direct:
    """An item raised directly under the agreement, ``day`` days from today, by ``raiser``'s keeper."""

    day: int
    raiser: str
    item: Item


@dataclass(frozen=True)
class Party:
    org: str
    role: str
    signatory: str
    commitments: str


@dataclass(frozen=True)
class AgreementSpec:
    key: str
    number: str
    title: str
    brand: str
    dimensions: tuple[str, ...]
    goals: str
    parties: tuple[Party, ...]
    actor: str  # who records it: a party's org key, or "admin"
    created: int  # days from today
    term_start: int
    term_days: int
    signed: int | None = None  # None: still a draft
    document: str = ""  # file name of the signed scan, attached the day after signing
    meetings: tuple[Meeting, ...] = ()
    direct: tuple[Direct, ...] = ()
    terminated: tuple[int, str] | None = None
    renews: str = ""  # key of the agreement this one renews (created by agreement_renew)


AGREEMENTS: tuple[AgreementSpec, ...] = build(tuple[AgreementSpec, ...], STORY["agreements"])
JOINT = next(spec for spec in AGREEMENTS if spec.key == "joint")
LAST_JOINT_MEETING = JOINT.meetings[-1]
assert -STORY_RECENT <= LAST_JOINT_MEETING.day < 0, "the demo's clock is read back from a meeting told day for day"

UPCOMING: Meeting = build(Meeting, STORY["upcoming"])

CONFIRM_NOTES = plain(STORY["confirm_notes"])
MINUTES_ENDINGS = plain(STORY["minutes_endings"])
PHOTO_NAMES = plain(STORY["photo_names"])
REPORT_NAMES = plain(STORY["report_names"])


class Story:
    """The writes of one agreement's history, run in time order, each "as of" its moment."""

    def __init__(self, clock: DemoClock):
        self.clock = clock
        self.now = clock.now
        self.events: list[tuple[dt.datetime, int, Callable[[], None]]] = []

    def day(self, day: int) -> dt.date:
        """The date of the story's ``day`` (days from today), on the demo's clock."""
        return self.clock.story_day(day)

    def moment(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        moment = timezone.make_aware(dt.datetime.combine(self.day(day), dt.time(hour, minute)))
        if moment >= self.now:
            raise ValueError(f"the demo story must stay in the past: day {day} {hour}:{minute:02d}")
        return moment

    def at(self, day: int, hour: int, minute: int, action: Callable[[], None]) -> None:
        self.events.append((self.moment(day, hour, minute), len(self.events), action))

    def run(self) -> None:
        for moment, _order, action in sorted(self.events, key=lambda event: event[:2]):
            with as_of(moment):
                action()


# --- files ----------------------------------------------------------------------------------------------------


def png_upload(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small, valid PNG: a few coloured blocks standing in for a site photo."""
    image = Image.new("RGB", (240, 160), (rng.randrange(150, 230), rng.randrange(150, 230), rng.randrange(150, 230)))
    draw = ImageDraw.Draw(image)
    for _ in range(5):
        x, y = rng.randrange(0, 200), rng.randrange(0, 120)
        colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
        draw.rectangle((x, y, x + rng.randrange(20, 80), y + rng.randrange(15, 60)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_bytes(lines: list[str]) -> bytes:
    """A minimal, valid one-page PDF (A4) with a few lines of ASCII text."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 12 Tf 72 770 Td 18 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    return pdf_document(objects)


def pdf_document(objects: list[str]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the catalog first), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def pdf_upload(name: str, *lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(["Gongjian demo document", *lines]), content_type="application/pdf")
