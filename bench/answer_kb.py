"""Knowledge-base intake: reading documents into passages, and the KB findings.

    flock /work/bench.lock python bench/answer_kb.py           # everything
    python bench/answer_kb.py --skip-big                       # without the 50 MB document

Two parts:

- **Generated documents** (fixed seed, in this script): a 50 MB plain-text
  manual, a 300-page PDF (written with fpdf2, a dev dependency; skipped
  without it) and a Word document of 3,000 paragraphs under 300 headings. Each
  is read alone with ``read_folder``: seconds, passages, mean passage length.
- **Real knowledge bases** ($BIZFORGE_DATASETS or ../shared/datasets:
  stackfaq_en, lcqmc_faq_zh, cmrc2018_passages_zh, cmrc2018_chunks_zh): the
  findings of ``knowledge_findings.check`` (kinds and counts) and its seconds.
  Skipped politely when the folder is absent.

Times are wall-clock seconds of one run on this machine; the load average is
printed beside them (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from bizforge.families.answer.documents import read_folder
from bizforge.families.answer.kb import read_kb
from bizforge.families.answer.knowledge_findings import check

WORDS = ("order delivery refund invoice account password store card parcel warranty repair "
         "return exchange discount voucher subscription contract phone address payment").split()


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(8, 20))).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))


def make_text(path: Path, megabytes: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as out:
        size, chapter = 0, 0
        while size < megabytes * 2**20:
            chapter += 1
            block = f"Chapter {chapter}\n\n" + "\n\n".join(_paragraph(rng) for _ in range(20))
            out.write(block + "\n\n")
            size += len(block) + 2


def make_pdf(path: Path, pages: int, rng: random.Random) -> bool:
    try:
        from fpdf import FPDF
    except ImportError:
        return False
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 5, "\n\n".join(_paragraph(rng) for _ in range(4)))
    pdf.output(str(path))
    return True


def make_docx(path: Path, paragraphs: int, rng: random.Random) -> None:
    import docx

    document = docx.Document()
    for n in range(paragraphs):
        if n % 10 == 0:
            document.add_heading(f"Section {n // 10 + 1}", level=1 + (n // 10) % 2)
        document.add_paragraph(_paragraph(rng))
    document.save(path)


def time_documents(skip_big: bool) -> list[dict]:
    rng = random.Random(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        makers = [("manual.docx", lambda p: make_docx(p, 3000, rng) or True),
                  ("manual.pdf", lambda p: make_pdf(p, 300, rng))]
        if not skip_big:
            makers.append(("manual.txt", lambda p: make_text(p, 50, rng) or True))
        for name, make in makers:
            folder = Path(tmp) / name.replace(".", "_")
            folder.mkdir()
            if not make(folder / name):
                print(f"{name}: skipped (fpdf2 not installed)")
                continue
            size = (folder / name).stat().st_size
            start = time.perf_counter()
            frame, findings = read_folder(folder)
            seconds = time.perf_counter() - start
            rows.append({"document": name, "MB": round(size / 2**20, 1),
                         "seconds": round(seconds, 1), "passages": len(frame),
                         "mean_chars": int(frame["text"].str.len().mean()),
                         "findings": len(findings)})
            print(rows[-1], flush=True)
    return rows


def time_findings() -> list[dict]:
    root = Path(os.environ.get("BIZFORGE_DATASETS", Path(__file__).parents[2] / "shared" /
                               "datasets"))
    rows = []
    for name in ("stackfaq_en", "lcqmc_faq_zh", "cmrc2018_passages_zh", "cmrc2018_chunks_zh"):
        path = root / name / "kb.csv"
        if not path.exists():
            print(f"{name}: skipped ({path} not found)")
            continue
        kb = read_kb(pd.read_csv(path, dtype=str, keep_default_na=False), path=str(path)).frame
        start = time.perf_counter()
        findings = check(kb, lang="zh" if name.endswith("_zh") else "en")
        seconds = time.perf_counter() - start
        kinds = Counter()
        for f in findings:
            kinds[f.kind] += f.count
        rows.append({"kb": name, "entries": len(kb), "seconds": round(seconds, 1),
                     "findings": dict(kinds)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-big", action="store_true", help="leave out the 50 MB text")
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    time_documents(args.skip_big)
    time_findings()
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
