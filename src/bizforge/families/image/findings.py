"""What ``bizforge inspect`` says about a set of images.

Images per class, files that cannot be used (named, with why: not an image, truncated,
too large, an unconvertible mode), exact duplicates by content hash (within the data,
with clashing labels, and across train and test), sizes and aspect ratios, and classes
too small to learn from. Each problem is a :class:`bizforge.clean.findings.Finding`
with a fix; the unusable files are then *skipped* by training, which reports them.

>>> prof = image_profile(list_images(DataSource("digits/")))   # doctest: +SKIP
>>> [f.kind for f in prof.findings]                            # doctest: +SKIP
['corrupt_image', 'duplicate_images', 'tiny_class']
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bizforge.clean.findings import Finding
from bizforge.families.image.reading import (
    THREADS,
    DecodedImage,
    ImageProblem,
    ImageSet,
    scan,
)
from bizforge.html import dl, page, section, table

__all__ = ["TINY_CLASS", "ImageProfile", "cross_duplicates", "image_profile", "scan_all",
           "skip_finding"]

TINY_CLASS = 10  # fewer images than this and a class is guessed more than learned
SHOWN = 5


def scan_all(images: ImageSet, threads: int = THREADS) -> list[DecodedImage | ImageProblem]:
    """The header facts (or the problem) of every image, in order."""
    def one(item):
        try:
            return scan(item)
        except ImageProblem as p:
            return p
        except OSError as exc:
            return ImageProblem(f"cannot be read ({exc.strerror or exc})")

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(one, images.items))


def _names(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def skip_finding(kind: str, entries: list[tuple[str, str]]) -> Finding:
    """One finding for the files of one ``kind`` of problem (``(name, reason)`` pairs)."""
    shown = "; ".join(f"{n}: {r}" for n, r in entries[:SHOWN])
    more = f"; and {len(entries) - SHOWN} more" if len(entries) > SHOWN else ""
    return Finding(None, kind, "warning",
                   f"{len(entries)} file(s) cannot be used and are skipped ({shown}{more}).",
                   "replace or remove them; re-export truncated files from the source.",
                   count=len(entries))


@dataclass
class ImageProfile:
    """Findings and statistics of a set of images; ``usable[i]`` says whether image ``i``
    can be trained on (``ok`` holds its header facts)."""

    images: int
    classes: dict[str, int]
    sizes: dict[str, Any]
    findings: list[Finding]
    usable: list[bool] = field(default_factory=list)
    ok: list[DecodedImage | None] = field(default_factory=list)
    lang: str = "en"

    @property
    def rows(self) -> int:
        return self.images

    def to_dict(self) -> dict[str, Any]:
        return {"images": self.images, "classes": self.classes, "sizes": self.sizes,
                "findings": [f.to_dict() for f in self.findings]}

    def save_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), "utf-8")
        return path

    def to_html(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        rows = [(f.severity, f.kind, f.message, f.fix) for f in self.findings]
        body = (str(section("Images", str(dl([("images", f"{self.images:,}"), *(
            (k, str(v)) for k, v in self.sizes.items())]))))
            + str(section("Classes", str(table(sorted(self.classes.items()),
                                               ["class", "images"], numeric=[1]))))
            + str(section("Findings", str(table(rows, ["severity", "kind", "message", "fix"])))))
        return page("Image data profile", body, lang)

    def save_html(self, path: str | Path, lang: str | None = None) -> Path:
        path = Path(path)
        path.write_text(self.to_html(lang), encoding="utf-8")
        return path

    def summary(self) -> list[str]:
        """Plain lines for a terminal."""
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(self.classes.items()))
        usable = sum(self.usable) if self.usable else self.images
        return [f"{self.images:,} image files, {usable:,} usable"
                + (f", in {len(self.classes)} classes: {counts}" if self.classes else ""),
                *(f"[{f.severity}] {f.message} Fix: {f.fix}" for f in self.findings)]


def _size_stats(facts: list[DecodedImage]) -> dict[str, Any]:
    if not facts:
        return {}
    w = np.array([f.width for f in facts])
    h = np.array([f.height for f in facts])
    ratio = w / h
    return {"width": f"{w.min()}–{w.max()} (median {int(np.median(w))})",
            "height": f"{h.min()}–{h.max()} (median {int(np.median(h))})",
            "aspect_ratio": f"{ratio.min():.2f}–{ratio.max():.2f} (median {np.median(ratio):.2f})",
            "distinct_sizes": len(set(zip(w.tolist(), h.tolist(), strict=True))),
            "modes": dict(Counter(f.mode for f in facts)),
            "formats": dict(Counter(f.format for f in facts))}


def _duplicate_findings(images: ImageSet, facts: list[Any]) -> list[Finding]:
    by_hash: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(facts):
        if isinstance(f, DecodedImage):
            by_hash[f.sha256].append(i)
    groups = [g for g in by_hash.values() if len(g) > 1]
    if not groups:
        return []
    clash = [g for g in groups if len({images.items[i].label for i in g}) > 1]
    extra = sum(len(g) - 1 for g in groups)
    out = [Finding(None, "duplicate_images", "info",
                   f"{extra} image(s) are exact copies of another ({len(groups)} groups, e.g. "
                   f"{_names([images.items[i].name for i in groups[0]])}).",
                   "remove the copies: they weigh twice in training and can sit on both sides "
                   "of the validation split.", count=extra)]
    if clash:
        out.append(Finding(None, "conflicting_duplicates", "warning",
                           f"{len(clash)} group(s) of identical images carry different labels "
                           f"(e.g. {_names([f'{images.items[i].name} ({images.items[i].label})' for i in clash[0]])}).",
                           "decide on one label per image.", count=len(clash)))
    return out


def cross_duplicates(train: ImageSet, train_facts: list[Any], test: ImageSet,
                     test_facts: list[Any]) -> Finding | None:
    """The test images whose exact bytes are also in the training images (a leak)."""
    seen = {f.sha256 for f in train_facts if isinstance(f, DecodedImage)}
    both = [test.items[i].name for i, f in enumerate(test_facts)
            if isinstance(f, DecodedImage) and f.sha256 in seen]
    if not both:
        return None
    return Finding(None, "train_test_duplicates", "warning",
                   f"{len(both)} test image(s) are exact copies of training images "
                   f"({_names(both)}); the test score counts them as if unseen.",
                   "remove them from one side.", count=len(both))


def image_profile(images: ImageSet, *, test: ImageSet | None = None, lang: str = "en",
                  facts: list[DecodedImage | ImageProblem] | None = None,
                  test_facts: list[DecodedImage | ImageProblem] | None = None) -> ImageProfile:
    """Findings on ``images`` (and on ``test`` against it, when given). ``facts``/``test_facts``:
    what :func:`~bizforge.families.image.reading.decode_items` found, when training has
    decoded the images already (else each header is read here)."""
    facts = scan_all(images) if facts is None else facts
    findings: list[Finding] = []
    problems: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item, f in zip(images.items, facts, strict=True):
        if isinstance(f, ImageProblem):
            problems[f.kind].append((item.name, f.reason))
    findings += [skip_finding(kind, entries) for kind, entries in problems.items()]
    findings += _duplicate_findings(images, facts)
    if test is not None:
        found = cross_duplicates(images, facts, test,
                                 scan_all(test) if test_facts is None else test_facts)
        if found:
            findings.append(found)
    usable = [isinstance(f, DecodedImage) for f in facts]
    classes = dict(sorted(Counter(i.label for i, ok in zip(images.items, usable, strict=True)
                                  if ok and i.label is not None).items()))
    tiny = [f"{k} ({v})" for k, v in classes.items() if v < TINY_CLASS]
    if tiny:
        findings.append(Finding(None, "tiny_class", "warning",
                                f"{len(tiny)} class(es) have fewer than {TINY_CLASS} usable "
                                f"images: {_names(tiny)}.",
                                "collect more images of them, or merge them into a related "
                                "class.", count=len(tiny)))
    if images.ignored:
        findings.append(Finding(None, "ignored_files", "info",
                                f"{len(images.ignored)} file(s) that are not images (by name) "
                                f"or sit outside the class folders are ignored: "
                                f"{_names(images.ignored)}.",
                                "remove them, or give images a .jpg/.png/.bmp/.tif name.",
                                count=len(images.ignored)))
    ok = [f if isinstance(f, DecodedImage) else None for f in facts]
    return ImageProfile(len(images.items), classes, _size_stats([f for f in ok if f]),
                        sorted(findings, key=lambda f: ("error", "warning", "info").index(
                            f.severity)), usable, ok, lang)

