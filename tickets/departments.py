"""The departments that answer tickets, which categories each receives, and where outside the federation a
ticket can be referred: parsed and validated from ``config/departments.yaml`` (or an admin's edit of it).

Pure: text in, a ``DepartmentBook`` or a ``DepartmentConfigError`` out. The error message is Chinese and
names the entry at fault, because the person who reads it is the admin who just edited the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_NAME_CHARS = 32
MAX_GUIDANCE_CHARS = 500
MAX_DOCUMENT_CHARS = 100_000
DISPATCHER_LABEL = "分派员（未派单）"


class DepartmentConfigError(ValueError):
    """The department file is not valid; ``message`` says where and why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Referral:
    """A body outside the federation; ``guidance`` is what the user is told about where to go."""

    code: str
    name: str
    guidance: str


@dataclass(frozen=True)
class DepartmentBook:
    departments: tuple[Department, ...]
    referrals: tuple[Referral, ...]

    def department(self, code: str | None) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    def referral(self, code: str | None) -> Referral | None:
        return next((r for r in self.referrals if r.code == code), None)

    def route(self, category: str | None) -> str | None:
        """The department a new ticket of ``category`` goes to (派单); None = the dispatcher's queue."""
        if not category:
            return None
        for department in self.departments:
            if category in department.categories:
                return department.code
        return None

    def name_of(self, code: str | None) -> str:
        """A department's name for staff; a code no longer in the book is shown as itself."""
        if code is None:
            return DISPATCHER_LABEL
        found = self.department(code)
        return found.name if found else code


def _text(value: object, where: str, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DepartmentConfigError(f"{where}：缺少 {field}，或 {field} 不是文字")
    value = value.strip()
    if len(value) > limit:
        raise DepartmentConfigError(f"{where}：{field} 最多 {limit} 个字，现在 {len(value)} 个")
    return value


def _code(value: object, where: str) -> str:
    if not isinstance(value, str) or not CODE_PATTERN.match(value):
        raise DepartmentConfigError(f"{where}：code 应由 1-32 个字母、数字、_ 或 - 组成，收到 {value!r}")
    return value


def _entries(document: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = document.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise DepartmentConfigError(f"{key} 应是一个列表（每项以 “- ” 开头）")
    return value


def parse_departments(text: str) -> DepartmentBook:
    """Validate the whole document; the first problem found is reported and nothing is half-applied."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DepartmentConfigError(f"文件过大：最多 {MAX_DOCUMENT_CHARS} 个字符")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"第 {mark.line + 1} 行" if mark is not None else "某处"
        raise DepartmentConfigError(f"YAML 格式错误（{line}）：请检查缩进和冒号") from None
    if not isinstance(document, dict):
        raise DepartmentConfigError("文件应包含 departments 和 referrals 两个列表")
    unknown = set(document) - {"departments", "referrals"}
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise DepartmentConfigError(f"不认识的项：{names}（只允许 departments、referrals）")
    departments: list[Department] = []
    seen_codes: set[str] = set()
    routed: dict[str, str] = {}
    for index, raw in enumerate(_entries(document, "departments"), start=1):
        where = f"departments 第 {index} 项"
        if not isinstance(raw, dict):
            raise DepartmentConfigError(f"{where}：应包含 code、name、categories")
        extra = set(raw) - {"code", "name", "categories"}
        if extra:
            raise DepartmentConfigError(f"{where}：不认识的字段 {', '.join(sorted(map(str, extra)))}")
        code = _code(raw.get("code"), where)
        name = _text(raw.get("name"), where, "name", MAX_NAME_CHARS)
        where = f"部门 {name}（{code}）"
        if code in seen_codes:
            raise DepartmentConfigError(f"{where}：code {code} 重复")
        seen_codes.add(code)
        categories = raw.get("categories") or []
        if not isinstance(categories, list):
            raise DepartmentConfigError(f"{where}：categories 应是一个列表，例如 [出入境, 法律]")
        cleaned: list[str] = []
        for category in categories:
            category = _text(category, where, "categories 中的分类", MAX_NAME_CHARS)
            if category in routed:
                raise DepartmentConfigError(
                    f"{where}：分类 {category} 已分给 {routed[category]}，一个分类只能派给一个部门"
                )
            routed[category] = name
            cleaned.append(category)
        departments.append(Department(code, name, tuple(cleaned)))
    if not departments:
        raise DepartmentConfigError("至少需要一个部门")
    referrals: list[Referral] = []
    for index, raw in enumerate(_entries(document, "referrals"), start=1):
        where = f"referrals 第 {index} 项"
        if not isinstance(raw, dict):
            raise DepartmentConfigError(f"{where}：应包含 code、name、guidance")
        extra = set(raw) - {"code", "name", "guidance"}
        if extra:
            raise DepartmentConfigError(f"{where}：不认识的字段 {', '.join(sorted(map(str, extra)))}")
        code = _code(raw.get("code"), where)
        if code in seen_codes:
            raise DepartmentConfigError(f"{where}：code {code} 与其他部门或转介去向重复")
        seen_codes.add(code)
        referrals.append(
            Referral(
                code,
                _text(raw.get("name"), where, "name", MAX_NAME_CHARS),
                _text(raw.get("guidance"), where, "guidance", MAX_GUIDANCE_CHARS),
            )
        )
    return DepartmentBook(tuple(departments), tuple(referrals))
