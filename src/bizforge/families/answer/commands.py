"""The answer family's own verbs: ``bizforge answer-gaps`` and ``bizforge answer-add``.

Registered by :mod:`bizforge.cli.family_commands` (the shared CLI names no family).
Only typer is imported here; each command imports its library code when it runs.

Exit codes: 0 ok, 2 usage (an output file that is a folder), 3 data (a file that
cannot be read), 4 unknown model or a model that is not an answer model.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    from bizforge.cli.app import check_output_file, console, edge

    @app.command("answer-gaps")
    @edge
    def answer_gaps(
        name: str = typer.Argument(..., help="The answer model (NAME, NAME:VERSION or "
                                             "NAME@ALIAS)."),
        since: str = typer.Option("30d", "--since", help="Look back over this period: 12h, "
                                                         "7d, 2w, ..."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Write the report here "
                                                                 "(.html, else Markdown)."),
        min_count: int = typer.Option(2, "--min-count", min=1, help="Smallest group shown."),
        lang: str = typer.Option("en", "--lang", help="Report language: en or zh."),
    ) -> None:
        """Group the questions handed over or marked unhelpful, and say what to add.

        Each group is named by its words and most typical questions, with the nearest
        existing entry: add the questions to that entry's alternative phrasings, or
        write a new entry.

        Example: bizforge answer-gaps faq --since 7d -o gaps.html
        """
        from datetime import UTC, datetime

        from bizforge.families import load_folder
        from bizforge.families.answer.add import current_entries
        from bizforge.families.answer.gaps import (
            gaps,
            gaps_html,
            gaps_markdown,
            questions_from_events,
        )
        from bizforge.i18n import check_lang
        from bizforge.registry import Registry
        from bizforge.registry.feedback import events
        from bizforge.registry.monitor import parse_since

        check_lang(lang)
        period = parse_since(since)
        check_output_file(out, "--out", "gaps.html")
        registry = Registry()
        mv = registry.get(name)
        start = (datetime.now(UTC) - period).isoformat(timespec="seconds")
        questions = questions_from_events(events(registry, mv.name,
                                                 kinds=["handover", "feedback"], since=start))
        kb = current_entries(registry.load(mv, load_folder)) if questions else None
        result = gaps(questions, kb, min_count=min_count)
        if not questions:
            console.print(f"no handed-over or unhelpful questions for {mv.name} in the last "
                          f"{since}.", markup=False, soft_wrap=True)
        else:
            console.print(gaps_markdown(result, mv.name, lang).split("\n")[2], markup=False, soft_wrap=True)
            for n, cluster in enumerate(result["clusters"][:10], start=1):
                near = cluster["nearest"]
                todo = (f"add to {near['entry_id']}" if cluster["action"] == "alternatives"
                        else "new entry")
                console.print(f"{n:>3}. {cluster['count']:>4}  {cluster['label']}  -> {todo}"
                              f"  e.g. \"{cluster['examples'][0]}\"", markup=False, soft_wrap=True)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            text = (gaps_html if out.suffix.lower() in (".html", ".htm") else gaps_markdown)(
                result, mv.name, lang)
            out.write_text(text, encoding="utf-8")
            console.print(f"report: {out}", markup=False, soft_wrap=True)

    @app.command("answer-add")
    @edge
    def answer_add(
        name: str = typer.Argument(..., help="The answer model to add to."),
        file: Path = typer.Argument(..., help="New or edited entries: a table (entry_id, "
                                              "question/text, answer, alternatives) or "
                                              "documents (a file, folder or zip)."),
        remove: list[str] = typer.Option([], "--remove", help="Leave out this entry id "
                                                              "(repeatable)."),
        time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for training."),
        seed: int = typer.Option(0, "--seed", help="Random seed."),
    ) -> None:
        """Add or edit entries: trains and publishes a NEW version (never in place).

        The old version's options are kept; stored feedback naming the right entry
        becomes example questions. Promote the new version when it looks right.

        Example: bizforge answer-add faq new_answers.csv --remove faq-17
        """
        from bizforge.errors import DataError, UsageError
        from bizforge.families.answer.add import add_entries
        from bizforge.registry import Registry

        if not file.exists():
            raise DataError(f"{file} does not exist.", path=str(file),
                            fix="give the table or documents with the new entries.")
        if time_limit <= 0:
            raise UsageError(f"--time-limit must be positive, got {time_limit}.",
                             fix="pass seconds, e.g. --time-limit 60.")
        registry = Registry()
        registry.get(name)  # an unknown model is refused before any reading
        with console.status("training the new version"):
            done = add_entries(name, file, registry=registry, remove=remove,
                               time_limit=time_limit, seed=seed)
        mv_name = done.based_on.split(":")[0]
        console.print(f"published {mv_name}:{done.version} from {done.based_on}: "
                      f"{done.added} added, {done.edited} edited, {done.removed} removed, "
                      f"{done.entries} entries, {done.queries} example questions.",
                      markup=False, soft_wrap=True)
        console.print(f"promote it with `bizforge models promote {mv_name}:{done.version}`.",
                      markup=False, soft_wrap=True)
