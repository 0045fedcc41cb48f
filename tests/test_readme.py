"""The README's Python example runs as written (so it cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_has_a_python_example():
    assert _python_blocks(), "README lost its Python example"


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "numeric" in out
    assert (tmp_path / "inspect.html").exists()


def test_readme_python_example_trains_predicts_and_publishes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert (tmp_path / "models" / "churn" / "manifest.json").is_file()
    assert out.rstrip().splitlines()[-1] == "churn:1"
