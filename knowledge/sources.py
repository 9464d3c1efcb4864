"""The "依据：…" line under an answer, so a user (and staff) can see which notice an answer rests on."""

from __future__ import annotations

from knowledge.content import PolicySource


def basis_line(source: PolicySource) -> str:
    """``依据：国家移民管理局《关于……的公告》（2024年第1号），2024年1月1日起施行`` — or "" with nothing to cite."""
    if not (source.authority or source.title or source.number):
        return ""
    document = f"《{source.title.strip('《》')}》" if source.title else ""
    number = f"（{source.number}）" if source.number else ""
    text = f"依据：{source.authority}{document}{number}"
    if source.effective_on:
        day = source.effective_on
        text += f"，{day.year}年{day.month}月{day.day}日起施行"
    return text
