"""The partners' liaison officers (联络员) of the joint-work story: demo users created when missing, the liaison role
granted through the service, their roster rows linked."""

from __future__ import annotations

from demo.engine.context import DemoContext, ensure_users
from demo.engine.joint_story import LIAISONS, Role
from partnerships.models import Member
from partnerships.services.directory import member_update
from portal.models import Membership
from portal.services import membership_grant


def ensure_liaisons(ctx: DemoContext, admin, orgs: dict) -> dict:
    """The partners' liaison officers: users created when missing, the liaison role granted, roster rows linked."""
    users, created = ensure_users(
        ctx, LIAISONS, lambda spec: dict(last_name=spec.last_name, first_name=spec.first_name, email=spec.email)
    )
    before = Membership.objects.count()
    for spec in LIAISONS:
        user = users[spec.username]
        membership_grant(actor=admin, user=user, organization=orgs[spec.org], role=Role.LIAISON)
        # The directory names them as their organization's contact; link their roster row when it is free.
        row = Member.objects.filter(
            organization=orgs[spec.roster_org], name=spec.last_name + spec.first_name, user=None
        ).first()
        if row is not None and not Member.objects.filter(user=user).exists():
            member_update(actor=admin, member=row, user=user)
    granted = Membership.objects.count() - before
    ctx.step(f"partner liaisons: {created} created, {len(users) - created} already there, {granted} roles granted")
    return users
