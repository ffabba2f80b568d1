"""Sign-in, throttling, password change, language switch, the role-aware home page."""

import pytest
from django.urls import reverse

from portal.models import Membership
from portal.scoping import get_scope


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_login_page_is_in_chinese(client, db):
    body = client.get(reverse("login")).content.decode()
    assert "登录" in body and "用户名" in body


def test_a_wrong_password_gets_a_chinese_message(client, world):
    response = _login(client, "secretary1", "wrong")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_it_locks_a_user_name_after_five_failures(client, world):
    for _ in range(5):
        _login(client, "secretary1", "wrong")
    response = _login(client, "secretary1", "pass-for-tests")
    assert response.status_code == 429
    body = response.content.decode()
    assert 'data-testid="locked-out"' in body and "已锁定" in body
    assert "_auth_user_id" not in client.session
    # Another user signing in from the same office is not affected.
    assert _login(client, "secretary2", "pass-for-tests").status_code == 302


def test_a_successful_sign_in_lands_on_the_workbench(client, world):
    response = _login(client, "secretary1", "pass-for-tests")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "工作台" in client.get(reverse("home")).content.decode()


def test_password_change_checks_the_old_password_in_chinese(client_for, world):
    client = client_for(world.secretary1)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "Hongqi-2026-zone", "new_password2": "Hongqi-2026-zone"},
    )
    assert response.status_code == 200 and "旧密码" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": "pass-for-tests", "new_password1": "Hongqi-2026-zone", "new_password2": "Hongqi-2026-zone"},
    )
    assert response.status_code == 302
    world.secretary1.refresh_from_db()
    assert world.secretary1.check_password("Hongqi-2026-zone")


def test_the_language_switch_turns_the_shell_english(client_for, world):
    client = client_for(world.secretary1)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Workbench" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get(reverse("home")).content.decode()


def test_the_home_page_shows_each_role_its_own_figures(client_for, world, member_a, member_b):
    secretary = client_for(world.secretary1).get(reverse("home"))
    panels = {p["template"]: p for p in secretary.context["panels"]}
    mine = panels["partnerships/home/my_organizations.html"]
    assert [o.name for o in mine["organizations"]] == [world.branch_a.name]
    assert mine["summary"]["total"] == 1
    assert "partnerships/home/committee_overview.html" not in panels

    reviewer = client_for(world.committee).get(reverse("home"))
    overview = {p["template"]: p for p in reviewer.context["panels"]}["partnerships/home/committee_overview.html"]
    assert overview["roster"]["total"] == 2
    assert {b.name for b in overview["branches"]} == {world.branch_a.name, world.branch_b.name}


def test_admins_see_background_jobs_on_the_workbench(client_for, world):
    response = client_for(world.admin).get(reverse("home"))
    assert response.context["jobs"] == []
    assert client_for(world.secretary1).get(reverse("home")).context.get("jobs") is None


def test_scope_is_computed_once_per_user(world, django_assert_num_queries):
    user = world.committee
    with django_assert_num_queries(1):
        get_scope(user)
        get_scope(user)
    assert get_scope(user).reviewer_paths == (world.group.path,)


@pytest.mark.parametrize("role", [r for r, _ in Membership.Role.choices])
def test_every_role_has_a_chinese_name(role, settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert not str(Membership.Role(role).label).isascii()


def test_four_failures_do_not_lock_and_the_fifth_does(client, world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _login(client, "secretary1", "wrong").status_code == 200
    assert _login(client, "secretary1", "pass-for-tests").status_code == 302  # four failures: still signs in
    client.logout()
    for _ in range(4):
        assert _login(client, "secretary1", "wrong").status_code == 200  # the success reset the count
    fifth = _login(client, "secretary1", "wrong")
    assert fifth.status_code == 429 and 'data-testid="locked-out"' in fifth.content.decode()
    assert _login(client, "secretary1", "pass-for-tests").status_code == 429


def test_the_lock_out_page_shows_only_the_lock_out_message(client, world):
    for _ in range(5):
        response = _login(client, "secretary1", "wrong")
    body = response.content.decode()
    assert response.status_code == 429
    assert "已锁定 1 小时" in body
    assert "<form" not in body.split("<main", 1)[1]  # no sign-in form to try again with
    assert 'name="password"' not in body and 'name="username"' not in body
    assert "请输入一个正确的" not in body  # not the wrong-password error beside it
    assert "alert" in body and body.count('role="alert"') == 1


def test_the_committee_overview_head_counts_follow_every_roster_change(
    client_for, world, django_capture_on_commit_callbacks
):
    """The subtree's head counts are cached (a group's whole roster is counted once), yet never stale."""
    from partnerships.models import Member
    from partnerships.services import directory as partnership_services

    def overview_total() -> int:
        response = client_for(world.committee).get(reverse("home"))
        panels = {p["template"]: p for p in response.context["panels"]}
        return panels["partnerships/home/committee_overview.html"]["roster"]["total"]

    assert overview_total() == 0
    with django_capture_on_commit_callbacks(execute=True):
        member = partnership_services.member_create(actor=world.secretary1, organization=world.branch_a, name="新党员")
    assert overview_total() == 1
    with django_capture_on_commit_callbacks(execute=True):
        partnership_services.member_import(
            actor=world.secretary1,
            organization=world.branch_a,
            rows=[{"row": 2, "name": "导入甲"}, {"row": 3, "name": "导入乙"}],
        )
    assert overview_total() == 3
    with django_capture_on_commit_callbacks(execute=True):
        Member.objects.get(pk=member.pk).delete()  # as the admin site or a shell would
    assert overview_total() == 2
    # Unchanged roster: the second look reads the cache, not the 200k-row count.
    from partnerships.selectors import directory

    calls = []
    original = directory.roster_summary
    directory.roster_summary = lambda organizations: calls.append(1) or original(organizations)
    try:
        assert overview_total() == 2
    finally:
        directory.roster_summary = original
    assert calls == []
