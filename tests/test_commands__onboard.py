"""Issue 15 part 3: a new banner on the platform in one command, from a CSV or YAML file; idempotent; every problem
named by its line before anything is written (143号, Art. 3: the joint meeting's bodies and the city's approval)."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from admission.identity import password_expired
from admission.models import AuditAction, AuditEvent, Jurisdiction, Membership, OrganizationKind, Role

TEMPLATES = Path(__file__).resolve().parent.parent / "docs" / "onboarding"
YAML = TEMPLATES / "内蒙古-旗县模板.yaml"
CSV = TEMPLATES / "内蒙古-旗县模板.csv"


def onboard(path: Path) -> str:
    out = StringIO()
    call_command("onboard_jurisdiction", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("template", [YAML, CSV], ids=["yaml", "csv"])
def test_the_template_puts_a_banner_with_its_bodies_townships_and_first_users_on_the_platform(db, template):
    output = onboard(template)
    banner = Jurisdiction.objects.get(division_code="150722")
    kinds = sorted(banner.organizations.values_list("kind", flat=True))
    assert kinds.count(OrganizationKind.TOWNSHIP) == 5 and kinds.count(OrganizationKind.DEPARTMENT) == 3
    for body in (
        OrganizationKind.ORGANIZATION_OFFICE,
        OrganizationKind.JUSTICE_BUREAU,
        OrganizationKind.DATA_BUREAU,
        OrganizationKind.BANNER_LEADERSHIP,
        OrganizationKind.CITY_GOVERNMENT,
    ):
        assert body in kinds
    assert banner.organizations.get(name="尼尔基镇").division_code == "150722100"
    office = Membership.objects.select_related("organization").get(user__username="mq_bianban")
    assert office.organization.kind == OrganizationKind.ORGANIZATION_OFFICE and office.role == Role.REVIEWER
    assert Membership.objects.get(user__username="mq_nierji").organization.name == "尼尔基镇"
    assert AuditEvent.objects.filter(action=AuditAction.ONBOARDING, jurisdiction=banner).count() == 1
    assert "mq_linye" in output
    assert banner.measure == "莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）"  # the measure its documents cite


def test_first_users_sign_in_with_the_printed_password_which_must_be_changed_at_once(db):
    output = onboard(YAML)
    line = next(line for line in output.splitlines() if line.strip().startswith("mq_linye"))
    password = line.split()[1]
    user = get_user_model().objects.get(username="mq_linye")
    assert user.check_password(password) and password_expired(user)


@pytest.mark.parametrize("template", [YAML, CSV], ids=["yaml", "csv"])
def test_a_second_run_changes_nothing(db, template):
    onboard(template)
    before = (Membership.objects.count(), AuditEvent.objects.count())
    assert "无需变更" in onboard(template)
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


def test_a_township_added_to_the_file_is_added_and_nothing_else(db, tmp_path):
    onboard(YAML)
    extended = tmp_path / "more.yaml"
    extended.write_text(
        YAML.read_text(encoding="utf-8").replace(
            '  - {name: 阿尔拉镇, division_code: "150722104"}',
            '  - {name: 阿尔拉镇, division_code: "150722104"}\n  - {name: 坤密尔提镇, division_code: "150722105"}',
        ),
        encoding="utf-8",
    )
    output = onboard(extended)
    assert "新增 1 项" in output and "坤密尔提镇" in output


def _csv(tmp_path, *rows: str) -> Path:
    path = tmp_path / "banner.csv"
    lines = CSV.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[:2], *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["township,尼尔基镇,15072210"], "第 3 行：乡镇“尼尔基镇”的区划代码“15072210”应为 9 位或 12 位数字"),
        (["township,尼尔基镇,150721100"], "并以旗县代码 150722 开头"),
        (["township,尼尔基镇,150722100", "township,尼尔基镇,150722101"], "第 4 行：单位名称“尼尔基镇”与第 3 行重复"),
        (["user,,,,,,,,,mq_x,某人,不存在的单位,clerk"], "第 3 行：用户 mq_x 的单位“不存在的单位”不在本文件中"),
        (["user,,,,,,,,,mq_x,某人,organization_office,boss"], "第 3 行：用户 mq_x 的角色“boss”应为"),
        (["user,,,,,,,,,x y,某人,organization_office,clerk"], "第 3 行：用户名“x y”应为"),
        (["county,某地,150722100"], "第 3 行：未知的类型“county”"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(db, tmp_path, rows, message):
    with pytest.raises(CommandError) as error:
        onboard(_csv(tmp_path, *rows))
    assert message in str(error.value)
    assert not Jurisdiction.objects.filter(division_code="150722").exists()


def test_a_yaml_error_names_its_line(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("jurisdiction:\n  name: 某旗\n townships: [\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        onboard(path)
    assert "第 3 行" in str(error.value)


def test_a_file_that_contradicts_the_platform_is_refused_whole(db, tmp_path):
    onboard(YAML)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        YAML.read_text(encoding="utf-8")
        .replace('{name: 红彦镇, division_code: "150722101"}', '{name: 红彦镇, division_code: "150722109"}')
        .replace(
            '  - {name: 阿尔拉镇, division_code: "150722104"}',
            '  - {name: 阿尔拉镇, division_code: "150722104"}\n  - {name: 新镇, division_code: "150722108"}',
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        onboard(changed)
    assert "红彦镇”已在平台上（区划代码 150722101" in str(error.value)
    assert not Jurisdiction.objects.get(division_code="150722").organizations.filter(name="新镇").exists()


def test_the_region_and_a_city_go_on_the_platform_above_their_banners(db):
    from admission.models import JurisdictionLevel
    from admission.permissions import city_approver

    onboard(YAML)
    call_command(
        "add_upper_jurisdiction",
        "--level",
        "region",
        "--name",
        "内蒙古自治区",
        "--division-code",
        "150000",
        "--abbreviation",
        "内",
        stdout=StringIO(),
    )
    call_command(
        "add_upper_jurisdiction",
        "--level",
        "city",
        "--name",
        "呼伦贝尔市",
        "--division-code",
        "150700",
        "--abbreviation",
        "呼",
        "--parent",
        "150000",
        "--banner",
        "150722",
        stdout=StringIO(),
    )
    banner = Jurisdiction.objects.get(division_code="150722")
    city = Jurisdiction.objects.get(division_code="150700")
    assert banner.parent == city and city.level == JurisdictionLevel.CITY and city.parent.division_code == "150000"
    assert city_approver(jurisdiction_id=banner.pk) is None  # the city's reply is recorded from outside
    call_command(
        "add_upper_jurisdiction",
        "--level",
        "city",
        "--name",
        "呼伦贝尔市",
        "--division-code",
        "150700",
        "--abbreviation",
        "呼",
        "--approves-in-system",
        stdout=StringIO(),
    )
    assert city_approver(jurisdiction_id=banner.pk).name == "呼伦贝尔市人民政府"
    with pytest.raises(CommandError, match="不在平台上"):
        call_command(
            "add_upper_jurisdiction",
            "--level",
            "city",
            "--name",
            "兴安盟",
            "--division-code",
            "152200",
            "--abbreviation",
            "兴",
            "--banner",
            "152201",
            stdout=StringIO(),
        )


def _with_measure(tmp_path, measure: str) -> Path:
    path = tmp_path / "banner.yaml"
    text = YAML.read_text(encoding="utf-8")
    path.write_text(text.replace("莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）", measure), encoding="utf-8")
    return path


def test_a_banner_on_the_platform_without_a_measure_gets_the_files_and_a_different_one_is_refused_by_line(db, tmp_path):
    onboard(_with_measure(tmp_path, ""))
    banner = Jurisdiction.objects.get(division_code="150722")
    assert banner.measure == ""
    output = onboard(YAML)  # the measure added later, as anything missing
    banner.refresh_from_db()
    assert banner.measure == "莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）" and "准入办法" in output
    with pytest.raises(CommandError) as refused:
        onboard(_with_measure(tmp_path, "《莫旗乡镇职责准入暂行办法》"))
    line = next(
        n
        for n, text in enumerate(YAML.read_text(encoding="utf-8").splitlines(), 1)
        if text == "  name: 莫力达瓦达斡尔族自治旗"
    )
    assert (
        f"第 {line} 行：“莫力达瓦达斡尔族自治旗”的准入办法已是《莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）》"
        in str(refused.value)
    )
    banner.refresh_from_db()
    assert banner.measure == "莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）"


def test_a_measures_name_too_long_is_named_by_its_line_and_nothing_is_written(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        onboard(_with_measure(tmp_path, "很长" * 51))
    assert "准入办法名称（measure）不能超过 100 个字，现有 102 个" in str(refused.value)
    assert not Jurisdiction.objects.filter(division_code="150722").exists()
