"""Reading a folder of documents into passages (every format with its real parser)."""

from __future__ import annotations

import zipfile

import pytest

from bizforge.errors import DataError
from bizforge.families.answer import documents
from bizforge.families.answer.documents import read_folder
from bizforge.families.answer.passages import MAX_CHARS, Section, passages, split_long

MARKDOWN = """# Guide

Welcome to the shop.

## Returns

You can return any item within **30 days** with the [form](https://example.com).

- keep the receipt
- pack it well

## Delivery

Delivery takes three days.
"""

HTML = (b"<html><head><script>var x = 1;</script><style>p{}</style></head><body>"
        b"<header><nav>Home | Shop</nav><h1>FAQ</h1></header><p>How do I pay?</p><ul><li><p>By card.</p></li>"
        b"</ul><h2>Refunds</h2><p>Refunds take five days.</p><footer>(c) shop</footer>"
        b"</body></html>")


def _docx(path):
    import docx

    document = docx.Document()
    document.add_heading("Warranty", level=1)
    document.add_paragraph("Every phone has a two-year warranty.")
    document.add_heading("Repairs", level=2)
    document.add_paragraph("Bring the phone to any shop.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "screen"
    table.rows[0].cells[1].text = "3 days"
    document.save(path)


def _pdf(path, pages=("Opening hours are nine to five.", "We close on public holidays.")):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    (root / "web").mkdir(parents=True)
    (root / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "web" / "faq.html").write_bytes(HTML)
    (root / "notes.txt").write_bytes("第一段：营业时间。\n\n第二段：退货政策。\n".encode("gb18030"))
    _docx(root / "warranty.docx")
    _pdf(root / "hours.pdf")
    return root


def _by_source(frame):
    return {source: group for source, group in frame.groupby("source")}


def test_every_format_becomes_passages_with_source_and_heading(folder):
    frame, findings = read_folder(folder)
    assert frame.columns.tolist() == ["entry_id", "text", "source", "heading"]
    docs = _by_source(frame)
    assert set(docs) == {"guide.md", "web/faq.html", "notes.txt", "warranty.docx", "hours.pdf"}
    assert findings == []
    assert frame["entry_id"].is_unique


def test_markdown_headings_give_the_heading_path_and_markup_is_dropped(folder):
    md = _by_source(read_folder(folder)[0])["guide.md"]
    assert md["heading"].tolist() == ["Guide", "Guide > Returns", "Guide > Delivery"]
    returns = md["text"].iloc[1]
    assert "30 days" in returns and "**" not in returns and "https://" not in returns
    assert "keep the receipt" in returns
    assert md["entry_id"].tolist() == ["guide.md#1", "guide.md#2", "guide.md#3"]


def test_html_leaves_out_scripts_navigation_and_footer(folder):
    html = _by_source(read_folder(folder)[0])["web/faq.html"]
    text = " ".join(html["text"])
    assert "How do I pay?" in text and "By card." in text
    assert "var x" not in text and "Home | Shop" not in text and "(c) shop" not in text
    assert html["heading"].tolist() == ["FAQ", "FAQ > Refunds"]


def test_docx_heading_styles_and_tables(folder):
    doc = _by_source(read_folder(folder)[0])["warranty.docx"]
    assert doc["heading"].tolist() == ["Warranty", "Warranty > Repairs"]
    assert "screen | 3 days" in doc["text"].iloc[1]


def test_pdf_pages_are_headings(folder):
    pdf = _by_source(read_folder(folder)[0])["hours.pdf"]
    assert pdf["heading"].tolist() == ["page 1", "page 2"]
    assert "nine to five" in pdf["text"].iloc[0]


def test_gb18030_text_is_decoded(folder):
    txt = _by_source(read_folder(folder)[0])["notes.txt"]
    assert "营业时间" in txt["text"].iloc[0]


def test_a_corrupt_pdf_is_named_and_skipped(folder):
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage")
    frame, findings = read_folder(folder)
    assert "broken.pdf" not in set(frame["source"])
    [finding] = findings
    assert finding.kind == "unreadable_document" and "broken.pdf" in finding.message
    assert finding.severity == "warning" and finding.fix


def test_a_pdf_without_text_is_named(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.output(str(tmp_path / "scan.pdf"))
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    _, findings = read_folder(tmp_path)
    assert [f.kind for f in findings] == ["unreadable_document"]
    assert "scan.pdf" in findings[0].message and "OCR" in findings[0].message


def test_a_file_that_is_not_a_docx_is_named(tmp_path):
    (tmp_path / "fake.docx").write_bytes(b"not a zip")
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    frame, findings = read_folder(tmp_path)
    assert frame["source"].tolist() == ["ok.txt"]
    assert "fake.docx" in findings[0].message


def test_zip_members_are_read_and_named_inside_the_archive(tmp_path, folder):
    archive = tmp_path / "kb.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(folder / "guide.md", "manual/guide.md")
        z.writestr("manual/image.png", b"\x89PNG")
    frame, findings = read_folder(archive)
    assert set(frame["source"]) == {"kb.zip/manual/guide.md"}
    assert frame["entry_id"].iloc[0] == "kb.zip/manual/guide.md#1"
    assert [f.kind for f in findings] == ["skipped_file"]


def test_unsupported_files_are_reported_not_fatal(tmp_path):
    (tmp_path / "a.txt").write_text("Hello.", encoding="utf-8")
    (tmp_path / "b.xyz").write_text("?", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    frame, findings = read_folder(tmp_path)
    assert frame["source"].tolist() == ["a.txt"]
    assert [f.kind for f in findings] == ["skipped_file"] and "b.xyz" in findings[0].message


def test_a_folder_with_nothing_readable_is_a_data_error(tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"nonsense")
    with pytest.raises(DataError, match="broken.pdf"):
        read_folder(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        read_folder(tmp_path / "missing")


def test_a_too_large_file_is_skipped_with_a_finding(tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 100)
    (tmp_path / "big.txt").write_text("word " * 100, encoding="utf-8")
    (tmp_path / "small.txt").write_text("Fine.", encoding="utf-8")
    frame, findings = read_folder(tmp_path)
    assert frame["source"].tolist() == ["small.txt"]
    assert findings[0].kind == "document_too_large" and "big.txt" in findings[0].message


def test_progress_reports_each_document(folder):
    seen = []
    read_folder(folder, progress=seen.append)
    assert {e["source"] for e in seen} >= {"guide.md", "hours.pdf"}
    assert all(e["event"] == "document" and e["passages"] >= 1 for e in seen)


def test_long_sections_are_split_at_sentences_and_short_pieces_merged():
    sentence = "This sentence is about returns and refunds. "
    long = sentence * 80  # ~3,500 characters
    out = list(passages([Section(("A",), [long, "Tiny.", "Also tiny."])]))
    assert all(len(p.text) <= MAX_CHARS for p in out)
    assert len(out) >= 3
    assert all(p.text.endswith(".") for p in out)
    assert "Tiny.\nAlso tiny." in out[-1].text


def test_cjk_text_without_spaces_is_cut_within_the_limit():
    text = "退货政策说明" * 500  # 3,000 characters, no sentence end
    pieces = split_long(text, 1000)
    assert [len(p) for p in pieces] == [1000, 1000, 1000]


def test_chinese_sentences_split_at_full_stops():
    pieces = split_long("第一句话。" * 300, 100)
    assert all(len(p) <= 100 and p.endswith("。") for p in pieces)


@pytest.mark.slow
def test_a_50_mb_text_document_is_read(tmp_path):
    paragraph = ("Our customer service answers questions about orders, deliveries and returns. "
                 * 6 + "\n\n")
    data = paragraph.encode("utf-8") * (50 * 2**20 // len(paragraph))
    (tmp_path / "big.txt").write_bytes(data)
    frame, findings = read_folder(tmp_path)
    assert findings == [] and len(frame) > 10_000
