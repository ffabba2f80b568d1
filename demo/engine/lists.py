"""Demo 三张清单 for ``manage.py seed_demo``: the partners' needs and resources, offers against the needs, the joint
projects (共建项目) agreed from them and their progress, told in ``demo/stories/lists.toml``.

Every write goes through the public services (each its own durable transaction), "as of" its moment on the demo's
clock (``Story``), so the rows and their history carry the story's dates and a met need counts in its quarter's
资源共享 metrics. Idempotent: a resource is keyed by (organization, title), a need likewise; a need already there is
left with everything under it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from demo.engine.context import DemoContext
from demo.engine.joint_story import KEEPER, Story, pdf_upload
from demo.engine.stories import story
from partnerships.models import Dimension, Need, Resource
from partnerships.services import action_items as item_services
from partnerships.services import resources as services

RESOURCE_FIELDS = ("details", "capacity", "opening_hours", "address", "is_paid", "terms", "contact_name")


def seed(ctx: DemoContext) -> None:
    """Add the lists' resources, needs, offers and projects; what is there already is left as it is."""
    data = ctx.data["partnerships"]
    orgs = data["organizations"]
    users = {**data["users"], **data.get("partner_liaisons", {})}
    told = story("lists")
    dimensions = {d.name: d for d in Dimension.objects.all()}
    keeper = {key: users[name] for key, name in KEEPER.items() if name in users}
    resources: dict[str, Resource] = {}
    made = {"resources": 0, "needs": 0}
    with translation.override(settings.LANGUAGE_CODE):
        run = Story(ctx.clock)
        for row in told["resources"]:
            org = orgs[row["org"]]
            found = Resource.objects.filter(organization=org, title=row["title"]).first()
            if found:
                resources[row["key"]] = found
                continue

            def create(row=row, org=org):
                resources[row["key"]] = services.resource_create(
                    actor=keeper[row["org"]],
                    organization=org,
                    kind=row["kind"],
                    title=row["title"],
                    dimension=dimensions.get(row.get("dimension", "")),
                    **{name: row[name] for name in RESOURCE_FIELDS if name in row},
                )

            run.at(row["day"], 9, 30, create)
            made["resources"] += 1
        for row in told["needs"]:
            if Need.objects.filter(organization=orgs[row["org"]], title=row["title"]).exists():
                continue
            _tell_need(run, row, orgs, keeper, dimensions, resources)
            made["needs"] += 1
        run.run()
    ctx.step(f"lists: {made['resources']} resources and {made['needs']} needs created")


def _tell_need(run: Story, row: dict, orgs, keeper, dimensions, resources) -> None:
    """Schedule one need's story: published, offered against, decided, worked on, closed and confirmed."""
    state: dict = {}
    owner_key = row["org"]

    def publish():
        state["need"] = services.need_create(
            actor=keeper[owner_key],
            organization=orgs[owner_key],
            title=row["title"],
            details=row.get("details", ""),
            dimension=dimensions.get(row.get("dimension", "")),
            contact_name=row.get("contact_name", ""),
            wanted_by=run.day(row["wanted_by"]),
        )

    run.at(row["day"], 10, 0, publish)
    offer = row.get("offer")
    if not offer:
        return

    def propose():
        state["pairing"] = services.pairing_offer(
            actor=keeper[offer["by"]],
            need=state["need"],
            offered_by=orgs[offer["by"]],
            resource=resources.get(offer.get("resource", "")),
            note=offer.get("note", ""),
        )

    run.at(offer["day"], 15, 0, propose)
    decision = row.get("decision")
    if not decision:
        return

    def decide():
        if decision["accept"]:
            state["pairing"] = services.pairing_accept(
                actor=keeper[owner_key],
                pairing=state["pairing"],
                owner=orgs[decision["owner"]],
                title=decision["title"],
                due_on=run.day(decision["due"]),
            )
        else:
            services.pairing_decline(actor=keeper[owner_key], pairing=state["pairing"], reason=decision["reason"])

    run.at(decision["day"], 11, 0, decide)
    if "withdraw" in row:
        run.at(row["withdraw"], 9, 0, lambda: services.need_withdraw(actor=keeper[owner_key], need=state["need"]))
    if not decision["accept"]:
        return
    worker = keeper[decision["owner"]]
    other = keeper[offer["by"] if decision["owner"] == owner_key else owner_key]

    def project():
        return state["pairing"].action_item

    for step in row.get("progress", ()):
        run.at(
            step["day"],
            17,
            0,
            lambda step=step: item_services.action_item_update_progress(
                actor=worker, item=project(), note=step["note"], percent=step["percent"]
            ),
        )
    close = row.get("close")
    if close:
        run.at(
            close["day"],
            16,
            0,
            lambda: item_services.action_item_close(
                actor=worker,
                item=project(),
                note=close["note"],
                evidence=[pdf_upload(close["file"], "Joint project closure evidence")],
            ),
        )
    confirm = row.get("confirm")
    if confirm:
        run.at(
            confirm["day"],
            10,
            30,
            lambda: item_services.action_item_confirm(actor=other, item=project(), note=confirm["note"]),
        )
