"""The README's knowledge-base commands run as written, on tiny knowledge sets of the same shape.

The sets are the FAQ of :mod:`bizforge.families.answer.samples` (English, Chinese) and a
folder of two Markdown documents, named like the ones the README names. One option is
added to each ``train``: ``--encoder none`` (BM25 only), so that the test reads no
sentence encoder; the dense channels have their own tests.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from bizforge.cli import app
from bizforge.families.answer.samples import faq

README = Path(__file__).resolve().parents[2] / "README.md"
runner = CliRunner()


def _commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Knowledge-base answering", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines if line.strip()]


def _sets(folder: Path) -> None:
    for name, lang in (("stackfaq_en", "en"), ("lcqmc_faq_zh", "zh"),
                       ("cmrc2018_chunks_zh", "zh"), ("cmrc2018_passages_zh", "zh")):
        kb, queries = faq(lang)
        (folder / name).mkdir()
        kb.to_csv(folder / name / "kb.csv", index=False)
        queries.iloc[::2].to_csv(folder / name / "queries.csv", index=False)
    _, queries = faq("en")
    queries.iloc[1::2].to_csv(folder / "held_out.csv", index=False)  # English ids = Chinese ids
    (folder / "manuals").mkdir()
    (folder / "manuals" / "returns.md").write_text(
        "# Returns\n\nStart a return from My Orders within 30 days. The label is free.\n\n"
        "# Delivery\n\nOrders arrive within 3 to 5 working days.\n", encoding="utf-8")
    (folder / "manuals" / "warranty.md").write_text(
        "# Warranty\n\nEvery product has a two-year warranty from the date of purchase.\n",
        encoding="utf-8")
    pd.DataFrame({"question": ["怎么退货？", "保修多久？"]}).to_csv(folder / "questions.csv",
                                                             index=False)


def test_the_readme_shows_a_command_for_each_knowledge_set():
    trained = [c[2] for c in _commands() if c[:2] == ["bizforge", "train"]]
    for name in ("stackfaq_en", "lcqmc_faq_zh", "cmrc2018_chunks_zh", "cmrc2018_passages_zh"):
        assert f"{name}/kb.csv" in trained


def test_the_readme_commands_train_publish_and_predict(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _sets(tmp_path)
    outputs = []
    for command in _commands():
        assert command[0] == "bizforge"
        args = command[1:] + (["--encoder", "none"] if command[1] == "train" else [])
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{shlex.join(command)}\n{result.output}"
        outputs.append(" ".join(result.output.split()))
        if "--json" in command:
            test = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["test"]
            assert {"hit_1", "hit_5", "mrr_10"} <= set(test) and test["queries"] == 20
    answers = pd.read_csv(tmp_path / "answers.csv")
    assert {"answer", "entry_id", "score", "confidence", "handover"} <= set(answers.columns)
    assert any("published manuals:1" in out for out in outputs)
