"""A folder of company documents as knowledge-base passages.

:func:`read_folder` reads every document under a folder (or one file, or a
``.zip``) with a real parser per format and cuts it into passages along its
headings and paragraphs (:mod:`~bizforge.families.answer.passages`):

==========================  =====================================================
``.txt``                    paragraphs at blank lines; UTF-8, UTF-8 with BOM or
                            GB18030, else what charset-normalizer guesses
``.md`` ``.markdown``       markdown-it-py (CommonMark + tables): headings give
                            the heading path, lists/tables/code become paragraphs
``.html`` ``.htm``          BeautifulSoup on lxml: ``h1``-``h6`` headings, block
                            text; scripts, styles, navigation, asides and footer
                            are left out
``.docx``                   python-docx: ``Heading N``/``Title`` styles are
                            headings; tables become "cell | cell" lines
``.pdf``                    pypdf, page by page; the heading is the page
                            ("page 3"); no text (a scan) or unreadable -> finding
``.zip``                    its members with the suffixes above, the same way
==========================  =====================================================

Each passage keeps its ``source`` (the path relative to the folder; for a zip
member ``archive.zip/inner/path``) and ``heading``. ``entry_id`` is
``source#n`` (n counting the document's passages from 1): stable while the
document does not change, so feedback and citations can name a passage.

Large documents: a file (or zip member) up to :data:`MAX_FILE_BYTES` (100 MB)
is read whole; a 50 MB text document becomes some 50,000 passages in well under
a minute. A larger file is skipped with a finding that says how to split it; a
document that yields more than :data:`MAX_DOCUMENT_CHARS` characters of text
(a PDF that expands) is cut there with a finding. Nothing is read twice.

A file that cannot be parsed (a corrupt or password-protected PDF, a docx
that is not a zip) is named in a finding and skipped; the others still come
in. A folder with no readable passage at all raises :class:`DataError`.

>>> frame, findings = read_folder("docs/")                      # doctest: +SKIP
>>> frame.columns.tolist()                                       # doctest: +SKIP
['entry_id', 'text', 'source', 'heading']
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from bizforge.clean.findings import Finding
from bizforge.errors import DataError
from bizforge.families.answer.passages import Section, passages

__all__ = ["MAX_DOCUMENT_CHARS", "MAX_FILE_BYTES", "PARSERS", "SUFFIXES", "parse_document",
           "read_folder"]

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_DOCUMENT_CHARS = 60_000_000
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

Parser = Callable[[bytes], list[Section]]


class _Unreadable(Exception):
    """A document its parser could not read; the message says why (for the finding)."""


# --- parsers: bytes -> sections -----------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1024 * 1024]).best()
    return data.decode(best.encoding if best else "latin-1", errors="replace")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")) if p.strip()]


def parse_text(data: bytes) -> list[Section]:
    return [Section((), _paragraphs(_decode(data)))]


class _Outline:
    """Builds sections while a parser walks a document: headings open new sections."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []
        self.sections: list[Section] = [Section(())]

    def heading(self, level: int, text: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.sections.append(Section(tuple(h for _, h in self.stack)))

    def paragraph(self, text: str) -> None:
        if text and text.strip():
            self.sections[-1].paragraphs.append(text.strip())


def parse_markdown(data: bytes) -> list[Section]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(_decode(data))
    outline = _Outline()
    level = 0
    row: list[str] | None = None
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = 0
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            outline.paragraph(" | ".join(c for c in row or [] if c))
            row = None
        elif token.type == "inline":
            text = "".join(c.content if c.type in ("text", "code_inline") else
                           " " if c.type in ("softbreak", "hardbreak") else ""
                           for c in token.children or [])
            if level:
                outline.heading(level, text)
            elif row is not None:
                row.append(text.strip())
            else:
                outline.paragraph(text)
        elif token.type in ("fence", "code_block"):
            outline.paragraph(token.content)
    return outline.sections


# (not <header>: pages often put their <h1> there; the navigation inside it is skipped)
_HTML_SKIP = ("script", "style", "noscript", "nav", "footer", "template", "svg", "aside")
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HTML_BLOCKS = ("p", "li", "pre", "blockquote", "dt", "dd", "tr", "figcaption", "caption")


def parse_html(data: bytes) -> list[Section]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(list(_HTML_SKIP)):
        tag.decompose()
    outline = _Outline()
    wanted = set(_HTML_HEADINGS) | set(_HTML_BLOCKS)
    for tag in soup.find_all(list(wanted)):
        if tag.name in _HTML_HEADINGS:
            outline.heading(int(tag.name[1]), tag.get_text(" "))
        elif tag.find(list(wanted)) is None:  # innermost block: its text once
            if tag.name == "tr":
                outline.paragraph(" | ".join(c.get_text(" ", strip=True)
                                             for c in tag.find_all(["th", "td"])))
            else:
                outline.paragraph(tag.get_text(" " if tag.name != "pre" else ""))
    if not any(s.paragraphs for s in outline.sections):  # text straight inside <div>s
        for line in (soup.body or soup).get_text("\n").split("\n"):
            outline.paragraph(line)
    return outline.sections


_DOCX_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def parse_docx(data: bytes) -> list[Section]:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 (python-docx raises many kinds for a bad file)
        raise _Unreadable(f"not a Word document python-docx can open ({type(exc).__name__})") \
            from None
    outline = _Outline()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells))  # merged cells
                outline.paragraph(" | ".join(c for c in cells if c))
            continue
        style = (block.style.name if block.style is not None else "") or ""
        found = _DOCX_HEADING.match(style.strip())
        if style.strip().lower() == "title":
            outline.heading(1, block.text)
        elif found:
            outline.heading(int(found[1]) + 1, block.text)
        else:
            outline.paragraph(block.text)
    return outline.sections


def parse_pdf(data: bytes) -> list[Section]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its warnings become our finding
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Unreadable("it is protected by a password")
        pages = list(reader.pages)
    except _Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 (pypdf raises many kinds for a corrupt file)
        raise _Unreadable(f"pypdf cannot read it ({type(exc).__name__}: {exc})") from None
    sections = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # noqa: BLE001
            raise _Unreadable(f"pypdf cannot read page {number} ({type(exc).__name__})") \
                from None
        paragraphs = _paragraphs(text)
        if len(paragraphs) == 1:  # no blank lines: lines are layout, not paragraphs
            paragraphs = [" ".join(paragraphs[0].split("\n"))]
        sections.append(Section((f"page {number}",), paragraphs))
    if pages and not any(s.paragraphs for s in sections):
        raise _Unreadable("it has no text layer (a scan?); run OCR on it first")
    return sections


PARSERS: dict[str, Parser] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".docx": parse_docx,
    ".pdf": parse_pdf,
}
SUFFIXES = (*PARSERS, ".zip")


def parse_document(name: str, data: bytes) -> list[Section]:
    """The sections of one document (its suffix picks the parser)."""
    parser = PARSERS.get(Path(name).suffix.lower())
    if parser is None:
        raise _Unreadable(f"bizforge does not read {Path(name).suffix or 'suffix-less'} files")
    return parser(data)


# --- the folder ---------------------------------------------------------------------------


def _finding(kind: str, severity: str, message: str, fix: str) -> Finding:
    return Finding(column=None, kind=kind, severity=severity, message=message, fix=fix, count=1)


def _members(path: Path, findings: list[Finding]) -> Iterator[tuple[str, bytes]]:
    """(source, bytes) of every document under ``path`` (zip members included)."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        source = file.name if file == path else file.relative_to(path).as_posix()
        if file.name.startswith((".", "~$")):
            continue  # hidden files and Word's lock files
        suffix = file.suffix.lower()
        if suffix not in SUFFIXES:
            findings.append(_finding(
                "skipped_file", "info", f"{source} was left out: bizforge does not read "
                f"{suffix or 'suffix-less'} files.",
                f"save it as one of {', '.join(SUFFIXES)} to include it."))
            continue
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            findings.append(_too_large(source, size))
            continue
        if suffix != ".zip":
            yield source, file.read_bytes()
            continue
        try:
            with zipfile.ZipFile(file) as archive:
                for info in archive.infolist():
                    inner = f"{source}/{info.filename}"
                    if info.is_dir() or Path(info.filename).name.startswith((".", "~$")) \
                            or "__MACOSX" in info.filename:
                        continue
                    if Path(info.filename).suffix.lower() not in PARSERS:
                        findings.append(_finding(
                            "skipped_file", "info", f"{inner} was left out: bizforge does not "
                            f"read {Path(info.filename).suffix or 'suffix-less'} files.",
                            f"save it as one of {', '.join(PARSERS)} to include it."))
                    elif info.file_size > MAX_FILE_BYTES:
                        findings.append(_too_large(inner, info.file_size))
                    else:
                        yield inner, archive.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            findings.append(_finding(
                "unreadable_document", "warning",
                f"{source} was skipped: it is not a zip archive Python can open ({exc}).",
                "re-create the archive, or unpack it into the folder."))


def _too_large(source: str, size: int) -> Finding:
    return _finding(
        "document_too_large", "warning",
        f"{source} was skipped: it is {size / 2**20:.0f} MB, above the "
        f"{MAX_FILE_BYTES // 2**20} MB a document may have.",
        "split it into several documents (by chapter), or save it as plain text.")


def read_folder(path: str | Path, progress: Callable[[dict[str, Any]], None] | None = None
                ) -> tuple[pd.DataFrame, list[Finding]]:
    """Passages of every document under ``path``: ``(frame, findings)``.

    ``frame`` has ``entry_id``, ``text``, ``source``, ``heading`` (one row per
    passage, documents in path order); ``findings`` name each file skipped and why.
    ``progress`` receives ``{"event": "document", "source": ..., "passages": n}``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist.", fix="give the folder of your documents.")
    findings: list[Finding] = []
    rows: list[dict[str, str]] = []
    for source, data in _members(path, findings):
        try:
            sections = parse_document(source, data)
        except _Unreadable as exc:
            findings.append(_finding(
                "unreadable_document", "warning", f"{source} was skipped: {exc}.",
                "open and re-save it (or export it as PDF/text again), then add it back."))
            continue
        del data
        count, chars = 0, 0
        for passage in passages(sections):
            chars += len(passage.text)
            if chars > MAX_DOCUMENT_CHARS:
                findings.append(_finding(
                    "document_cut", "warning", f"{source} was cut after "
                    f"{MAX_DOCUMENT_CHARS:,} characters ({count} passages kept).",
                    "split it into several documents to include the rest."))
                break
            count += 1
            rows.append({"entry_id": f"{source}#{count}", "text": passage.text,
                         "source": source, "heading": passage.heading})
        if count == 0:
            findings.append(_finding(
                "empty_document", "warning", f"{source} has no text; it was left out.",
                "check that it is the document you meant (a scan needs OCR first)."))
        if progress is not None:
            progress({"event": "document", "source": source, "passages": count})
    if not rows:
        named = "; ".join(f.message for f in findings[:3])
        raise DataError(f"{path} holds no document bizforge could read"
                        + (f" ({named})" if named else "") + ".",
                        fix=f"put documents with the suffixes {', '.join(SUFFIXES)} in it.")
    return pd.DataFrame(rows, columns=["entry_id", "text", "source", "heading"]), findings
