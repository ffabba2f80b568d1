"""The access matrix: every URL the project defines, for every kind of visitor.

anonymous → sign-in page; outsider → 404 for objects (403 for pages that only create); read-only → 403 on write;
owner → success. ``test_every_url_is_in_the_matrix`` makes a new view impossible to add without a row here.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.main import api as read_api
from tests.matrix import Case

# Tokens are credentials (the iCal feed's, a check-in code's); the service worker and the offline page carry nothing
# of anyone's.
PUBLIC = {
    "login",
    "set_language",
    "healthz",
    "activities:ical_feed",
    "activities:checkin",
    # The big screen's display links (tests/assessments/test_screen.py: scope, revocation, rate limits).
    "assessments:display_screen",
    "assessments:display_data",
    "assessments:display_photo",
    "service_worker",
    "offline",
}
# Django's own admin: staff only, checked in test_admin_is_for_staff_only. The read API (/api/v1/): token-authenticated
# JSON, never the sign-in page; checked in test_api_urls_answer_401_without_a_token and by the scope tests in tests/api/.
EXEMPT_NAMESPACES = {"admin", "api"}


def _org_post(world, objs):
    return {"parent": world.general_1.pk, "name": "新建党支部", "kind": "branch", "sector": "soe"}


def _member_post(world, objs):
    return {"organization": world.branch_a.pk, "name": "新党员", "status": "full", "phone": "13700001111"}


CASES: dict[str, Case] = {
    "home": Case(
        lambda w, o: reverse("home"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "profile": Case(
        lambda w, o: reverse("profile"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: w.branch_a.name,
    ),
    "logout": Case(
        lambda w, o: reverse("logout"),
        owner="secretary1",
        get_ok=False,
        outsider_status=405,
        owner_post=lambda w, o: {},
    ),
    "password_change": Case(lambda w, o: reverse("password_change"), owner="secretary1", outsider_status=200),
    "password_change_done": Case(lambda w, o: reverse("password_change_done"), owner="secretary1", outsider_status=200),
    "housekeeping_run_now": Case(
        lambda w, o: reverse("housekeeping_run_now"),
        owner="admin",
        get_ok=False,
        owner_post=lambda w, o: {},
        read_only=("committee", "secretary1"),
        outsider_status=405,
    ),
    "partnerships:organization_list": Case(
        lambda w, o: reverse("partnerships:organization_list"), owner="secretary1", outsider_status=200
    ),
    "partnerships:organization_tree": Case(
        lambda w, o: reverse("partnerships:organization_tree"), owner="secretary1", outsider_status=200
    ),
    # One level of the tree (htmx): the directory is every signed-in user's; an unknown parent is a 404 (tested in
    # tests/partnerships/test_lists_at_scale.py).
    "partnerships:organization_tree_level": Case(
        lambda w, o: f"{reverse('partnerships:organization_tree_level')}?parent={w.group.pk}",
        owner="secretary1",
        outsider_status=200,
    ),
    # The directory is every signed-in user's (DESIGN.md §4); the roster card on it is not.
    "partnerships:organization_detail": Case(
        lambda w, o: reverse("partnerships:organization_detail", args=[w.branch_a.pk]),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: 'data-testid="roster-card"',
    ),
    "partnerships:organization_create": Case(
        lambda w, o: reverse("partnerships:organization_create"),
        owner="committee",
        owner_post=_org_post,
        read_only=("secretary1", "liaison1"),
        outsider_status=403,
    ),
    "partnerships:organization_update": Case(
        lambda w, o: reverse("partnerships:organization_update", args=[w.branch_a.pk]),
        owner="committee",
        owner_post=lambda w, o: {"name": "甲项目党支部（更名）", "kind": "branch", "sector": "soe"},
        read_only=("secretary1",),
        outsider_status=403,
    ),
    "partnerships:member_list": Case(
        lambda w, o: reverse("partnerships:member_list"),
        owner="secretary1",
        outsider_status=200,
        outsider_must_not_see=lambda w, o: o["member_a"].name,
    ),
    "partnerships:member_detail": Case(
        lambda w, o: reverse("partnerships:member_detail", args=[o["member_a"].pk]), owner="secretary1"
    ),
    "partnerships:member_create": Case(
        lambda w, o: reverse("partnerships:member_create"),
        owner="secretary1",
        owner_post=_member_post,
        read_only=("member1", "committee", "liaison1"),
        outsider_status=200,
    ),
    "partnerships:member_update": Case(
        lambda w, o: reverse("partnerships:member_update", args=[o["member_a"].pk]),
        owner="secretary1",
        owner_post=lambda w, o: {
            "organization": w.branch_a.pk,
            "name": "李红梅",
            "status": "full",
            "phone": "13912345679",
        },
        read_only=("member1", "committee"),
    ),
    "partnerships:member_import": Case(
        lambda w, o: reverse("partnerships:member_import"),
        owner="secretary1",
        read_only=("member1", "committee"),
        outsider_status=200,
    ),
    "partnerships:member_import_template": Case(
        lambda w, o: reverse("partnerships:member_import_template"), owner="secretary1", outsider_status=200
    ),
}


def _all_url_names(patterns=None, namespace=None) -> set[str]:
    names = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in EXEMPT_NAMESPACES:
                continue
            names |= _all_url_names(entry.url_patterns, ns if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


# Each area of the product keeps its rows in tests/matrix/<area>.py: ``CASES`` (same shape as above) and
# ``objects(world) -> dict`` for the objects its URLs need.
AREAS = [
    importlib.import_module(f"tests.matrix.{p.stem}") for p in sorted(Path(__file__).parent.glob("matrix/[a-z]*.py"))
]
for _area in AREAS:
    _clash = set(CASES) & set(_area.CASES)
    assert not _clash, _clash
    CASES.update(_area.CASES)


def test_every_url_is_in_the_matrix():
    missing = _all_url_names() - set(CASES) - PUBLIC
    assert not missing, f"add these URLs to the access matrix: {sorted(missing)}"
    stale = set(CASES) - _all_url_names()
    assert not stale, f"matrix rows for URLs that no longer exist: {sorted(stale)}"


@pytest.fixture
def objs(world, member_a, member_b):
    built = {"member_a": member_a, "member_b": member_b}
    for area in AREAS:
        built.update(area.objects(world))
    return built


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_is_sent_to_sign_in(client, world, objs, name):
    case = CASES[name]
    url = case.url(world, objs)
    response = client.get(url) if case.get_ok else client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_outsider_sees_nothing(client_for, world, objs, name):
    """The outsider (secretary of an unrelated tree) gets 404 for objects and never sees the owner's data."""
    case = CASES[name]
    response = client_for(world.outsider).get(case.url(world, objs))
    if case.outsider_status is None:
        return  # the area's own tests cover this row's outsider behaviour
    if name == "partnerships:member_create" or name == "partnerships:member_import":
        # The outsider keeps a roster of their own, so they may open the form — for their organization only.
        assert response.status_code == 200
        assert world.branch_a.name not in response.content.decode()
        return
    assert response.status_code == case.outsider_status
    if case.outsider_must_not_see and response.status_code == 200:
        assert case.outsider_must_not_see(world, objs) not in response.content.decode()


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.read_only))
def test_read_only_users_get_403_on_write(client, world, objs, name):
    case = CASES[name]
    url = case.url(world, objs)
    data = case.owner_post(world, objs) if case.owner_post else {}
    for username in case.read_only:
        client.force_login(world.user(username))
        assert client.post(url, data).status_code == 403, username


@pytest.mark.parametrize("name", sorted(CASES))
def test_owner_succeeds(client_for, world, objs, name):
    case = CASES[name]
    client = client_for(world.user(case.owner))
    url = case.url(world, objs)
    if case.get_ok:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
    if case.owner_post:
        response = client.post(url, case.owner_post(world, objs))
        assert response.status_code == 302, response.content.decode()[:2000]


def test_member_of_another_branch_is_404_for_a_secretary(client_for, world, objs):
    client = client_for(world.secretary2)
    assert client.get(reverse("partnerships:member_detail", args=[objs["member_a"].pk])).status_code == 404
    assert client.post(reverse("partnerships:member_update", args=[objs["member_a"].pk]), {}).status_code == 404


def test_public_pages_answer_anonymous(client, db):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).content == b"ok"
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302


def test_admin_is_for_staff_only(client_for, world):
    response = client_for(world.secretary1).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client_for(world.admin).get("/admin/").status_code == 200


def test_api_urls_answer_401_without_a_token(client, world):
    """Every operation of the read API refuses a request without a token (a session is no token), with JSON; its
    schema and docs describe no one's data and answer anyone."""
    schema = read_api.get_openapi_schema(path_prefix="/api/v1")
    paths = [p.replace("{id}", str(world.branch_a.pk)) for p in schema["paths"]]
    assert len(paths) >= 15
    client.force_login(world.secretary1)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"]
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
