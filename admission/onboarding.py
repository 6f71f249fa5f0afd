"""Reading a banner's on-boarding file (manage.py onboard_jurisdiction): its bodies, townships with their division
codes, departments and first users, from CSV or YAML, checked line by line before anything is written.

CSV: one row per item, with the columns of CSV_COLUMNS; `type` is jurisdiction, township, department or user.
YAML: a mapping with `jurisdiction` (a mapping) and the lists `townships`, `departments`, `users`.
docs/onboarding/内蒙古-旗县模板.yaml and .csv are the templates.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from .models import Jurisdiction, OrganizationKind, Role
from .models.organizations import measure_name

CSV_COLUMNS = (
    "type",
    "name",
    "division_code",
    "short_name",
    "city_name",
    "city_government_name",
    "abbreviation",
    "measure",
    "code",
    "username",
    "full_name",
    "organization",
    "role",
)
BODY_KINDS = (
    OrganizationKind.ORGANIZATION_OFFICE,
    OrganizationKind.JUSTICE_BUREAU,
    OrganizationKind.DATA_BUREAU,
    OrganizationKind.BANNER_LEADERSHIP,
    OrganizationKind.CITY_GOVERNMENT,
)
BANNER_CODE = re.compile(r"^\d{6}$")
TOWNSHIP_CODE = re.compile(r"^\d{9}(\d{3})?$")
USERNAME = re.compile(r"^[\w.@+-]{3,150}$")
MEASURE_LENGTH: int = Jurisdiction._meta.get_field("measure").max_length or 0


@dataclass(frozen=True)
class Township:
    line: int
    name: str
    division_code: str


@dataclass(frozen=True)
class Department:
    line: int
    name: str
    code: str = ""


@dataclass(frozen=True)
class FirstUser:
    line: int
    username: str
    full_name: str
    organization: str  # a township's or department's name, or a body's kind (organization_office, …)
    role: Role


@dataclass
class BannerFile:
    line: int
    name: str
    division_code: str
    short_name: str
    city_name: str
    city_government_name: str
    abbreviation: str = ""
    measure: str = ""  # the banner's own measure, cited by its documents (Jurisdiction.measure)
    townships: list[Township] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    users: list[FirstUser] = field(default_factory=list)


class OnboardingFileError(Exception):
    """The file cannot be on-boarded; `messages` says what to fix, each naming its line."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def at_line(line: int, message: str) -> str:
    return _("第 %(line)s 行：%(message)s") % {"line": line, "message": message}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read(path: Path) -> BannerFile:
    """Parse and check the file; raises OnboardingFileError with every problem found."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise OnboardingFileError(
            [
                _("无法读取文件 %(name)s：%(error)s（应为 UTF-8 编码的 CSV 或 YAML 文件）")
                % {"name": path.name, "error": error}
            ]
        ) from error
    items = _yaml_items(text) if path.suffix.lower() in (".yaml", ".yml") else _csv_items(text)
    return _checked(items)


def _csv_items(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("type", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise OnboardingFileError(
            [at_line(1, _("表头缺少列 %(columns)s（列名见 docs/operations.md）") % {"columns": "、".join(missing)})]
        )
    return [(reader.line_num, {k: _text(v) for k, v in row.items() if k}) for row in reader if any(row.values())]


def _yaml_items(text: str) -> list[tuple[int, dict[str, str]]]:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        message = _("YAML 格式错误：%(problem)s") % {"problem": getattr(error, "problem", error)}
        raise OnboardingFileError([at_line(mark.line + 1, message) if mark else message]) from error
    if not isinstance(data, dict) or root is None:
        raise OnboardingFileError([at_line(1, _("文件应为包含 jurisdiction、townships、departments、users 的映射"))])
    lines = {key.value: value for key, value in root.value}
    items: list[tuple[int, dict[str, str]]] = []
    banner = data.get("jurisdiction")
    if isinstance(banner, dict):
        items.append((lines["jurisdiction"].start_mark.line + 1, {"type": "jurisdiction", **_strings(banner)}))
    for section, kind in (("townships", "township"), ("departments", "department"), ("users", "user")):
        entries = data.get(section) or []
        if not isinstance(entries, list):
            line = lines[section].start_mark.line + 1
            raise OnboardingFileError([at_line(line, _("%(section)s 应为列表") % {"section": section})])
        for entry, node in zip(entries, lines[section].value):
            line = node.start_mark.line + 1
            if not isinstance(entry, dict):
                raise OnboardingFileError(
                    [at_line(line, _("%(section)s 的每一项应为映射（名称: 值）") % {"section": section})]
                )
            items.append((line, {"type": kind, **_strings(entry)}))
    return items


def _strings(mapping: dict[Any, Any]) -> dict[str, str]:
    return {str(k): _text(v) for k, v in mapping.items()}


def _checked(items: list[tuple[int, dict[str, str]]]) -> BannerFile:
    errors: list[str] = []
    banners = [(line, item) for line, item in items if item.get("type") == "jurisdiction"]
    if len(banners) != 1:
        lines = "、".join(str(line) for line, _item in banners) or "无"
        raise OnboardingFileError(
            [
                _("文件应恰有一条旗县（type 为 jurisdiction）记录，现有 %(count)s 条（行：%(lines)s）")
                % {"count": len(banners), "lines": lines}
            ]
        )
    line, item = banners[0]
    banner = BannerFile(
        line=line,
        name=item.get("name", ""),
        division_code=item.get("division_code", ""),
        short_name=item.get("short_name", ""),
        city_name=item.get("city_name", ""),
        city_government_name=item.get("city_government_name", ""),
        abbreviation=item.get("abbreviation", ""),
        measure=measure_name(item.get("measure", "")),
    )
    for attr, label in (
        ("name", _("名称")),
        ("short_name", _("简称（如“阿荣”）")),
        ("city_name", _("所属盟市")),
        ("city_government_name", _("盟市人民政府名称")),
    ):
        if not getattr(banner, attr):
            errors.append(at_line(line, _("请填写旗县的%(label)s（%(field)s）") % {"label": label, "field": attr}))
    if len(banner.measure) > MEASURE_LENGTH:
        errors.append(
            at_line(
                line,
                _("准入办法名称（measure）不能超过 %(length)s 个字，现有 %(count)s 个")
                % {"length": MEASURE_LENGTH, "count": len(banner.measure)},
            )
        )
    if not BANNER_CODE.match(banner.division_code):
        errors.append(
            at_line(line, _("旗县区划代码“%(code)s”应为 6 位数字（如 150721）") % {"code": banner.division_code})
        )
    seen: dict[tuple[str, str], int] = {}

    def once(kind: str, value: str, at: int, label: str) -> bool:
        if (kind, value) in seen:
            errors.append(
                at_line(
                    at,
                    _("%(label)s“%(value)s”与第 %(other)s 行重复")
                    % {"label": label, "value": value, "other": seen[kind, value]},
                )
            )
            return False
        seen[kind, value] = at
        return True

    for at, entry in items:
        kind, name = entry.get("type", ""), entry.get("name", "")
        if kind == "jurisdiction":
            continue
        if kind == "township":
            code = entry.get("division_code", "")
            if not name:
                errors.append(at_line(at, _("请填写乡镇名称（name）")))
            elif not TOWNSHIP_CODE.match(code) or not code.startswith(banner.division_code):
                errors.append(
                    at_line(
                        at,
                        _("乡镇“%(name)s”的区划代码“%(code)s”应为 9 位或 12 位数字，并以旗县代码 %(banner)s 开头")
                        % {"name": name, "code": code, "banner": banner.division_code},
                    )
                )
            elif once("organization", name, at, _("单位名称")) and once("code", code, at, _("区划代码")):
                banner.townships.append(Township(line=at, name=name, division_code=code))
        elif kind == "department":
            if not name:
                errors.append(at_line(at, _("请填写部门名称（name）")))
            elif once("organization", name, at, _("单位名称")):
                banner.departments.append(Department(line=at, name=name, code=entry.get("code", "")))
        elif kind == "user":
            user = _user(at, entry, errors)
            if user is not None and once("user", user.username, at, _("用户名")):
                banner.users.append(user)
        else:
            errors.append(
                at_line(
                    at, _("未知的类型“%(kind)s”（应为 jurisdiction、township、department 或 user）") % {"kind": kind}
                )
            )
    names = {t.name for t in banner.townships} | {d.name for d in banner.departments}
    for user in banner.users:
        if user.organization not in names and user.organization not in BODY_KINDS:
            errors.append(
                at_line(
                    user.line,
                    _(
                        "用户 %(user)s 的单位“%(organization)s”不在本文件中，应为本文件的乡镇或部门名称，或 %(kinds)s 之一"
                    )
                    % {"user": user.username, "organization": user.organization, "kinds": "、".join(BODY_KINDS)},
                )
            )
    if errors:
        raise OnboardingFileError(errors)
    return banner


def _user(at: int, entry: dict[str, str], errors: list[str]) -> FirstUser | None:
    username, role = entry.get("username", ""), entry.get("role", "")
    problems = []
    if not USERNAME.match(username):
        problems.append(at_line(at, _("用户名“%(user)s”应为 3–150 个字母、数字或 . @ + - _") % {"user": username}))
    if role not in Role.values:
        problems.append(
            at_line(
                at,
                _("用户 %(user)s 的角色“%(role)s”应为 %(roles)s 之一")
                % {"user": username, "role": role, "roles": "、".join(Role.values)},
            )
        )
    if not entry.get("organization"):
        problems.append(at_line(at, _("请填写用户 %(user)s 所在单位（organization）") % {"user": username}))
    errors.extend(problems)
    if problems:
        return None
    return FirstUser(
        line=at,
        username=username,
        full_name=entry.get("full_name", ""),
        organization=entry["organization"],
        role=Role(role),
    )
