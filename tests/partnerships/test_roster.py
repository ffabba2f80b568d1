"""The roster: services, forms with Chinese errors, phone scoping, Excel import all-or-nothing, query budgets."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from partnerships.forms.roster_sheet import build_template
from partnerships.models import Member
from partnerships.services import directory as services
from tests.factories import MemberFactory


def test_it_adds_a_member_for_the_branch_secretary(world):
    member = services.member_create(
        actor=world.secretary1, organization=world.branch_a, name="周文", phone="13600001111"
    )
    assert member.pk and member.organization == world.branch_a
    assert member.history.count() == 1


def test_only_the_secretary_writes_the_roster(world):
    for user in (world.member1, world.committee, world.secretary2, world.liaison1):
        with pytest.raises(PermissionDenied):
            services.member_create(actor=user, organization=world.branch_a, name="周文")


def test_it_refuses_a_bad_phone_and_saves_nothing(world):
    with pytest.raises(ValidationError) as caught:
        services.member_create(actor=world.secretary1, organization=world.branch_a, name="周文", phone="12345")
    assert "phone" in caught.value.message_dict
    assert not Member.objects.filter(name="周文").exists()


def test_the_database_refuses_a_bad_phone_even_past_the_forms(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(organization=world.branch_a, name="绕过表单", phone="abc")


def test_the_database_refuses_a_duplicate_phone_in_one_organization(world, member_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(organization=world.branch_a, name="重复", phone=member_a.phone)
    # The same number in another organization is a different person's desk phone: allowed.
    Member.objects.create(organization=world.branch_b, name="另一人", phone=member_a.phone)


def test_the_form_shows_a_chinese_error_next_to_the_phone_field(client_for, world):
    response = client_for(world.secretary1).post(
        reverse("partnerships:member_create"),
        {"organization": world.branch_a.pk, "name": "周文", "status": "full", "phone": "1380013"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="error_1_id_phone"' in body
    assert "请输入11位手机号" in body
    assert not Member.objects.filter(name="周文").exists()


def test_the_form_offers_only_the_secretarys_organizations(client_for, world):
    response = client_for(world.secretary1).post(
        reverse("partnerships:member_create"), {"organization": world.branch_b.pk, "name": "越权", "status": "full"}
    )
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert not Member.objects.filter(name="越权").exists()


def test_moving_a_member_to_a_branch_the_secretary_does_not_keep_is_refused(world, member_a):
    with pytest.raises(PermissionDenied):
        services.member_update(actor=world.secretary1, member=member_a, organization=world.branch_b)
    member_a.refresh_from_db()
    assert member_a.organization == world.branch_a


def test_phone_numbers_are_seen_by_own_organization_and_reviewers_only(world, member_a):
    def phone_visible(user):
        return Member.objects.visible_to(user).with_phone_visibility(user).get(pk=member_a.pk).phone_visible

    assert phone_visible(world.secretary1) and phone_visible(world.member1) and phone_visible(world.committee)
    assert not Member.objects.visible_to(world.secretary2).filter(pk=member_a.pk).exists()
    assert not Member.objects.visible_to(world.liaison1).filter(pk=member_a.pk).exists()


def test_the_list_hides_phones_the_viewer_may_not_see(client_for, world, member_a, member_b):
    body = client_for(world.secretary1).get(reverse("partnerships:member_list")).content.decode()
    assert member_a.phone in body and member_b.name not in body and member_b.phone not in body


def test_search_and_filters_narrow_the_roster(client_for, world, member_a):
    MemberFactory(organization=world.branch_a, name="王小二", status=Member.Status.PROBATIONARY)
    client = client_for(world.committee)
    names = lambda r: {m.name for m in r.context["object_list"]}  # noqa: E731
    assert names(client.get(reverse("partnerships:member_list"), {"q": "红梅"})) == {"李红梅"}
    assert names(client.get(reverse("partnerships:member_list"), {"status": "probationary"})) == {"王小二"}
    assert names(client.get(reverse("partnerships:member_list"), {"organization": world.branch_a.pk})) == {
        "李红梅",
        "王小二",
    }


# --- Excel import -------------------------------------------------------------------------------------------


def _sheet(rows, header=None) -> bytes:
    template = load_workbook(io.BytesIO(build_template()))
    ws = template.active
    ws.delete_rows(2, ws.max_row)
    if header is not None:
        for col, value in enumerate(header, start=1):
            ws.cell(row=1, column=col, value=value)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, world, name="roster.xlsx"):
    return client.post(
        reverse("partnerships:member_import"),
        {"organization": world.branch_a.pk, "file": SimpleUploadedFile(name, data)},
    )


def test_the_template_downloads_with_chinese_headers(client_for, world):
    response = client_for(world.secretary1).get(reverse("partnerships:member_import_template"))
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[1]][:2] == ["姓名", "性别"]


def test_it_imports_a_valid_sheet(client_for, world):
    data = _sheet(
        [
            ["陈晓", "女", "资料员", "正式党员", "2018-06-30", "13511112222"],
            ["孙伟", "男", "安全员", "预备党员", None, 13511113333],
        ]
    )
    response = _upload(client_for(world.secretary1), data, world)
    assert response.status_code == 302
    imported = {m.name: m for m in Member.objects.filter(organization=world.branch_a)}
    assert imported["陈晓"].gender == "f" and imported["陈晓"].joined_party_on.isoformat() == "2018-06-30"
    assert imported["孙伟"].status == Member.Status.PROBATIONARY and imported["孙伟"].phone == "13511113333"


def test_one_bad_row_imports_nothing_and_names_the_row(client_for, world):
    data = _sheet(
        [["陈晓", "女", "资料员", "正式党员", "2018-06-30", "13511112222"], ["", "男", "安全员", "群众", "昨天", "555"]]
    )
    response = _upload(client_for(world.secretary1), data, world)
    assert response.status_code == 200
    errors = " ".join(response.context["row_errors"])
    assert "第3行" in errors
    assert not Member.objects.filter(organization=world.branch_a).exists()


def test_rows_failing_model_checks_are_all_reported(client_for, world):
    data = _sheet(
        [
            ["陈晓", "女", "", "正式党员", None, "13511112222"],
            ["", "男", "", "正式党员", None, "555"],
            ["孙伟", "男", "", "正式党员", None, "13511112222"],
        ]
    )
    response = _upload(client_for(world.secretary1), data, world)
    errors = response.context["row_errors"]
    assert any("第3行" in e for e in errors) and any("第4行" in e for e in errors)
    assert not Member.objects.filter(organization=world.branch_a).exists()


def test_a_file_that_is_not_excel_is_refused_by_content(client_for, world):
    response = _upload(client_for(world.secretary1), b"%PDF-1.4 not a sheet", world)
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not Member.objects.exists()


def test_an_oversized_file_is_refused(client_for, world, settings):
    settings.ROSTER_IMPORT_MAX_BYTES = 1024
    data = _sheet([[f"党员{i}", "男", "施工员" * 20, "正式党员", None, None] for i in range(200)])
    assert len(data) > 1024
    response = _upload(client_for(world.secretary1), data, world)
    assert "file" in response.context["form"].errors
    assert not Member.objects.exists()


def test_a_sheet_with_foreign_headers_is_refused(client_for, world):
    wb = Workbook()
    wb.active.append(["name", "phone"])
    wb.active.append(["x", "y"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = _upload(client_for(world.secretary1), buffer.getvalue(), world)
    assert response.status_code == 200 and response.context["row_errors"]


# --- query budgets ---------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    """The queries of one request with nothing cached (the home page caches the committee's head counts): the worst
    case, which is what a budget bounds."""
    from django.core.cache import cache
    from django.db import connection

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name", ["partnerships:member_list", "partnerships:organization_list", "partnerships:organization_tree", "home"]
)
def test_list_pages_cost_the_same_at_5_and_50_rows(client_for, world, url_name):
    from tests.factories import OrganizationFactory

    client = client_for(world.committee)
    url = reverse(url_name)
    MemberFactory.create_batch(5, organization=world.branch_a)
    for _ in range(3):
        OrganizationFactory(parent=world.general_1)
    few = _queries(client, url)
    MemberFactory.create_batch(45, organization=world.branch_b)
    for _ in range(30):
        OrganizationFactory(parent=world.general_2)
    many = _queries(client, url)
    assert few == many
    # The committee's home adds its to-do (reviews, escalations, expiring), its key projects by schedule (党建+业务)
    # and the publicity to-do (items to review, items returned): constant, whatever the size.
    assert many <= (17 if url_name == "home" else 12)


def test_scoped_querysets_compose_without_duplicates(world, member_a):
    assert Member.objects.visible_to(world.committee).filter(Q(pk=member_a.pk)).count() == 1
