"""`bizforge answer-gaps` and `bizforge answer-add`: family verbs registered without the
shared CLI naming the family; exit codes and messages. A tiny stand-in family keeps its
entries like an answer model does (``kb`` and ``info["options"]``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.families import (
    Action,
    Family,
    FamilyOptions,
    FamilyPredictor,
    Trained,
    catalog,
    register_family,
)
from bizforge.families.answer.kb import read_kb
from bizforge.pipeline import train
from bizforge.registry import Registry
from bizforge.registry.feedback import events, record

runner = CliRunner()


class KbOptions(FamilyOptions):
    queries: str | None = None
    flavour: str = "plain"


class Ask(BaseModel):
    question: str


class KbPredictor(FamilyPredictor):
    family = "kbtoy"

    def __init__(self, kb: pd.DataFrame, info: dict):
        self.kb, self.info = kb, info

    def save(self, folder: Path) -> None:
        self.kb.assign(alternatives=self.kb["alternatives"].map(list)).to_json(
            folder / "entries.json", orient="records", force_ascii=False)
        (folder / "model.json").write_text(json.dumps(self.info), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KbPredictor:
        kb = read_kb(pd.read_json(folder / "entries.json", orient="records",
                                  dtype={"entry_id": str})).frame
        return cls(kb, json.loads((folder / "model.json").read_text(encoding="utf-8")))

    def predict(self, data):
        return data

    def score(self, data, *, explain=False, progress=None):
        return data

    def actions(self):
        return [Action("ask", Ask, Ask, lambda r: {"question": r.question})]


class KbFamily(Family):
    name = "kbtoy"
    tasks = ("kbtoy",)
    Options = KbOptions
    needs_target = False

    @classmethod
    def recognise(cls, source, target):
        return 0.0

    def inspect(self, source, *, target, options, lang="en"):
        return None

    def train(self, source, *, target, task, options, test, time_limit, seed=0, lang="en",
              progress=None):
        kb = read_kb(source.dataset().frame).frame
        queries = (pd.read_csv(options.queries).to_dict("records") if options.queries
                   else [])
        info = {"task": task, "options": options.model_dump(), "queries": queries}
        metrics = {"task": task, "metric": "none", "test": {}, "leaderboard": [],
                   "fit_seconds": 0.0}
        return Trained(KbPredictor(kb, info), metrics, _Report())

    @classmethod
    def load(cls, folder):
        return KbPredictor.load(folder)


class _Report:
    def save(self, path):
        Path(path).write_text("<html></html>", encoding="utf-8")


@pytest.fixture
def faq(tmp_path):
    """Model ``faq`` (version 1) with two entries, and handed-over questions stored."""
    catalog._load_all()
    register_family(KbFamily)
    table = tmp_path / "faq.csv"
    pd.DataFrame({"entry_id": ["faq-1", "faq-2"],
                  "text": ["Where is the shop?", "How do I pay?"],
                  "answer": ["Main street 5, Berlin.", "By card."]}).to_csv(table, index=False)
    with Registry() as registry:
        registry.publish(train(table, task="kbtoy", flavour="spicy", out=tmp_path / "m"), "faq")
        for q in ["refund to credit card?", "how to refund to credit card",
                  "can I get a refund to my credit card"]:
            record(registry, "faq", 1, "handover", {"question": q})
        record(registry, "faq", 1, "feedback", {"question": "shop address in Berlin",
                                                "helpful": False, "entry_id": "faq-1"})
    yield tmp_path
    catalog._REGISTRY.pop("kbtoy", None)


def test_help_lists_the_family_verbs_without_importing_torch():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "answer-gaps" in result.output
    assert "answer-add" in result.output
    code = ("import sys; from bizforge.cli import app; "
            "print(sorted(m for m in ('torch', 'transformers', 'faiss') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_answer_gaps_prints_groups_and_writes_a_report(faq):
    report = faq / "out" / "gaps.html"
    result = runner.invoke(app, ["answer-gaps", "faq", "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert "4 questions were handed over or marked unhelpful" in result.output
    assert "refund" in result.output and "new entry" in result.output
    assert "Knowledge gaps of faq" in report.read_text(encoding="utf-8")


def test_answer_gaps_writes_markdown_in_chinese(faq):
    report = faq / "gaps.md"
    result = runner.invoke(app, ["answer-gaps", "faq", "-o", str(report), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert report.read_text(encoding="utf-8").startswith("# faq 的知识缺口")


def test_answer_gaps_with_nothing_to_report_says_so(faq):
    with Registry() as registry:
        registry.publish(faq / "m", "quiet")
    result = runner.invoke(app, ["answer-gaps", "quiet", "--since", "7d"])
    assert result.exit_code == 0
    assert "no handed-over or unhelpful questions for quiet in the last 7d" in result.output


def test_small_groups_are_counted_as_others(faq):
    result = runner.invoke(app, ["answer-gaps", "faq:1", "--min-count", "9"])
    assert result.exit_code == 0 and "0 groups of 0 questions; 4 more in groups too small" in result.output


def test_answer_gaps_refuses_an_unknown_model_a_folder_output_and_a_bad_period(faq):
    result = runner.invoke(app, ["answer-gaps", "nope"])
    assert result.exit_code == 4 and "nope" in result.output
    result = runner.invoke(app, ["answer-gaps", "faq", "-o", str(faq)])
    assert result.exit_code == 2 and "is a folder" in result.output
    result = runner.invoke(app, ["answer-gaps", "faq", "--since", "soon"])
    assert result.exit_code == 2 and "not a period" in result.output


def test_answer_add_publishes_a_new_version_with_the_old_options(faq):
    new = faq / "new.csv"
    pd.DataFrame({"question": ["Where is the shop?", "Gift cards?"],
                  "answer": ["Main street 7, Berlin.", "Yes, at the till."]}).to_csv(
        new, index=False)
    result = runner.invoke(app, ["answer-add", "faq", str(new), "--remove", "faq-2"])
    assert result.exit_code == 0, result.output
    assert "published faq:2 from faq:1: 1 added, 1 edited, 1 removed, 2 entries" in \
        result.output
    with Registry() as registry:
        from bizforge.families import load_folder

        v2 = registry.load(registry.get("faq:2"), load_folder)
        v1 = registry.load(registry.get("faq:1"), load_folder)
        assert dict(zip(v2.kb["entry_id"], v2.kb["answer"], strict=True)) == {
            "faq-1": "Main street 7, Berlin.", "added-1": "Yes, at the till."}
        assert len(v1.kb) == 2  # the old version is untouched
        assert v2.info["options"]["flavour"] == "spicy"
        # the feedback naming the right entry became an example question
        assert v2.info["queries"] == [{"query": "shop address in Berlin", "entry_id": "faq-1"}]
        assert len(events(registry, "faq")) == 4


def test_answer_add_refuses_a_missing_file_and_an_unknown_model(faq):
    result = runner.invoke(app, ["answer-add", "faq", str(faq / "missing.csv")])
    assert result.exit_code == 3 and "does not exist" in result.output
    (faq / "x.csv").write_text("question,answer\nq,a\n", encoding="utf-8")
    result = runner.invoke(app, ["answer-add", "nope", str(faq / "x.csv")])
    assert result.exit_code == 4


def test_answer_add_documents_replace_their_passages(faq):
    doc = faq / "manual.md"
    doc.write_text("# Returns\n\nWithin 30 days.\n", encoding="utf-8")
    result = runner.invoke(app, ["answer-add", "faq", str(doc)])
    assert result.exit_code == 0, result.output
    assert "1 added, 0 edited" in result.output
    with Registry() as registry:
        from bizforge.families import load_folder

        v2 = registry.load(registry.get("faq:2"), load_folder)
        assert "manual.md#1" in set(v2.kb["entry_id"])


def test_inspect_a_documents_folder_names_the_unreadable_file(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Hours\n\nNine to five.\n", encoding="utf-8")
    (tmp_path / "docs" / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    result = runner.invoke(app, ["inspect", str(tmp_path / "docs"), "--task", "answer"])
    assert result.exit_code == 0, result.output
    assert "unreadable_document" in result.output and "broken.pdf" in result.output
