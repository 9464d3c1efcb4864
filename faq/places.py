"""Places in China as data (``config/china_places.yaml``): provinces, cities and 侨乡 counties.

Near-twin entries are decided by where the user is (faq.whereabouts), and users abroad name their home
county rather than "China": "visiting family in Xiamen", "my girlfriend is from Hui'an", "回惠安探亲". Every
name here is a form of the #domestic concept, merged into the vocabulary when it is loaded; the English
side of the lexicon (faq.english.EnglishForms) reads each Chinese name's pinyin by itself, so a county
listed once in Chinese is known in an English message too. The file groups names by province only so staff
can see what is covered; the matcher needs the side, not the province.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from config.settings import CHINA_PLACES_PATH
from faq.vocabulary_file import Vocabulary, VocabularyError, read_word_file

DOMESTIC = "domestic"
ABROAD = "abroad"
# Hong Kong, Macao and Taiwan have their own concept: a message naming them is not "in the mainland".
HK_MACAU_TW = "hk_macau_tw"
KIND = "China places file"
_PROVINCE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LATIN_NAME = re.compile(r"^[a-z][a-z' -]*[a-z]$")
_CJK_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,}$")
# What an unquoted scalar resolves to when it is not text, in a staff member's words.
_YAML_KINDS = {
    "tag:yaml.org,2002:bool": "a yes/no value",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "empty",
}


def parse_china_places(text: str, path: Path) -> tuple[str, ...]:
    """Every place name in the file's text, in file order; raise VocabularyError listing each problem
    (with its line) when the file is malformed, a name is neither Chinese nor lower-case Latin, or a name is
    listed twice."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise VocabularyError(path, [f"not valid YAML: {exc}"], KIND) from None
    problems: list[str] = []
    if not isinstance(root, yaml.MappingNode):
        raise VocabularyError(path, ["line 1: the file must be a mapping with a provinces: key"], KIND)
    provinces: yaml.Node | None = None
    for key, value in root.value:
        if key.value != "provinces":
            problems.append(f"line {key.start_mark.line + 1}: unknown key {key.value!r} (known: provinces)")
        else:
            provinces = value
    if not isinstance(provinces, yaml.MappingNode) or not provinces.value:
        raise VocabularyError(
            path, [*problems, "provinces: missing or empty: province id -> list of place names"], KIND
        )
    names: list[str] = []
    seen: dict[str, int] = {}
    for key, value in provinces.value:
        line = key.start_mark.line + 1
        if not _PROVINCE_ID.match(str(key.value)):
            problems.append(f"line {line}: a province id is lower-case letters, digits and _, got {key.value!r}")
        if not isinstance(value, yaml.SequenceNode) or not value.value:
            problems.append(f"line {line}: provinces.{key.value}: a non-empty list of place names")
            continue
        for item in value.value:
            name: Any = item.value if isinstance(item, yaml.ScalarNode) else None
            at = item.start_mark.line + 1
            kind = _YAML_KINDS.get(item.tag) if isinstance(item, yaml.ScalarNode) else None
            if kind is not None:
                # yes/no/on/off and numbers are not text to YAML: say how to write them
                problems.append(f"line {at}: provinces.{key.value}: {name!r} is {kind}, not text: put it in quotes")
                continue
            if not isinstance(name, str) or not (_CJK_NAME.match(name) or _LATIN_NAME.match(name)):
                problems.append(
                    f"line {at}: provinces.{key.value}: {name!r} is neither a Chinese name (2+ characters) "
                    "nor a lower-case Latin spelling"
                )
                continue
            if name in seen:
                problems.append(f"line {at}: {name!r} is listed twice (first on line {seen[name]})")
                continue
            seen[name] = at
            names.append(name)
    if problems:
        raise VocabularyError(path, problems, KIND)
    return tuple(names)


def load_china_places(path: Path) -> tuple[str, ...]:
    return parse_china_places(read_word_file(path, KIND), Path(path))


def with_china_places(vocabulary: Vocabulary, places: tuple[str, ...], path: Path = CHINA_PLACES_PATH) -> Vocabulary:
    """The vocabulary with every place appended to the #domestic concept's forms (once each).

    Refused, each name listed: a place the vocabulary lists as abroad (one name cannot say both sides), and
    Hong Kong, Macao or Taiwan, or a name containing one (香港岛, 台湾省): they have their own concept
    (#hk_macau_tw), and near twins tell the mainland from them. A foreign name that contains a place here
    (北海道 holds 北海, 南安普顿 holds 南安) is not refused: listed under #abroad in the vocabulary, it is one
    longer word to the segmenter and wins (faq.analysis weighs every form alike, so the longest cut wins)."""
    concepts: Mapping[str, tuple[str, ...]] = vocabulary.concepts
    both = sorted(set(places) & set(concepts.get(ABROAD, ())))
    problems = [f"{name!r} is listed as abroad in the vocabulary" for name in both]
    regions = concepts.get(HK_MACAU_TW, ())
    for name in places:
        inside = [r for r in regions if r in name and (_CJK_NAME.match(r) or name == r)]
        if inside:
            problems.append(
                f"{name!r} names {inside[0]!r}: Hong Kong, Macao and Taiwan are the vocabulary's #{HK_MACAU_TW} "
                "concept, not a place in the mainland; remove it here"
            )
    if problems:
        raise VocabularyError(path, problems, KIND)
    known = concepts.get(DOMESTIC, ())
    extra = tuple(p for p in places if p not in set(known))
    if not extra:
        return vocabulary
    return replace(vocabulary, concepts={**concepts, DOMESTIC: known + extra})
