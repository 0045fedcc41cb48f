"""Cutting a document's sections into passages of a sensible length.

A parser turns a document into :class:`Section` s (a heading path and its
paragraphs, in reading order); :func:`passages` cuts them into retrieval units:

- a passage never crosses a heading: the heading is what a citation shows;
- paragraphs of one section are joined while the passage stays within
  :data:`MAX_CHARS` characters;
- a paragraph longer than that is split at sentence ends (``. ! ? 。！？；``),
  and a sentence longer than that at the last space (or hard, for CJK text
  without spaces) before the limit;
- a piece shorter than :data:`MIN_CHARS` is joined to its neighbour in the same
  section when the two fit in :data:`MAX_CHARS`; a short section stays a short
  passage (an FAQ-like "Opening hours: 9 to 5" is a complete answer).

Lengths are in characters: a Chinese character carries about as much as an
English word of five letters, so the window holds 150-250 English words or
about 500-1,000 Chinese characters, both comfortably within a 512-token encoder.

>>> [p.text for p in passages([Section(("Returns",), ["Send it back.", "Within 30 days."])])]
['Send it back.\\nWithin 30 days.']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["MAX_CHARS", "MIN_CHARS", "Passage", "Section", "heading_text", "passages",
           "split_long"]

MAX_CHARS = 1200
MIN_CHARS = 200

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])")
_SPACE = re.compile(r"\s+")


@dataclass
class Section:
    """One heading path (outermost first) and its paragraphs."""

    headings: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Passage:
    text: str
    heading: str


def heading_text(headings: Iterable[str]) -> str:
    """``("Guide", "Returns")`` -> ``'Guide > Returns'``."""
    return " > ".join(h for h in headings if h)


def split_long(text: str, limit: int = MAX_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at sentence ends if possible.

    >>> split_long("One. Two. Three.", 10)
    ['One. Two.', 'Three.']
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s and s.strip()):
        for part in _hard_cut(sentence.strip(), limit):
            joined = f"{current} {part}" if current and _spaced(current, part) else current + part
            if current and len(joined) > limit:
                pieces.append(current)
                current = part
            else:
                current = joined
    if current:
        pieces.append(current)
    return pieces


def _spaced(left: str, right: str) -> bool:
    """Whether joining two sentences needs a space (not between CJK sentences)."""
    return not (left[-1] in "。！？；" or "\u4e00" <= right[0] <= "\u9fff")


def _hard_cut(sentence: str, limit: int) -> Iterator[str]:
    while len(sentence) > limit:
        cut = sentence.rfind(" ", limit // 2, limit)
        cut = limit if cut <= 0 else cut
        yield sentence[:cut].strip()
        sentence = sentence[cut:].strip()
    if sentence:
        yield sentence


def _clean(paragraph: str) -> str:
    return _SPACE.sub(" ", paragraph).strip()


def passages(sections: Iterable[Section], max_chars: int = MAX_CHARS,
             min_chars: int = MIN_CHARS) -> Iterator[Passage]:
    """The passages of ``sections`` in reading order (see the module docstring)."""
    for section in sections:
        heading = heading_text(section.headings)
        pieces = [piece for paragraph in section.paragraphs if (text := _clean(paragraph))
                  for piece in split_long(text, max_chars)]
        if not pieces:
            continue
        merged: list[str] = []
        for piece in pieces:
            # Join while it fits and either the piece is tiny or the passage is still short.
            if merged and len(merged[-1]) + 1 + len(piece) <= max_chars and (
                    len(piece) < min_chars or len(merged[-1]) < max_chars // 2):
                merged[-1] = f"{merged[-1]}\n{piece}"
            else:
                merged.append(piece)
        for text in merged:
            yield Passage(text=text, heading=heading)
