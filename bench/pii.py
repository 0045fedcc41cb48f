"""Personal-data masking: misses and false alarms, now and at a baseline commit.

    python bench/pii.py                       # this tree against 5b20f45
    python bench/pii.py --baseline none       # this tree only

Two kinds of input:

- **Generated tables** (fixed seed, in this script): a Chinese customer table
  and an English/German one, with the personal data of issue #25 (cards of
  common and uncommon prefixes and lengths, e-mails with non-ASCII local parts,
  addresses) beside non-personal columns that look like it (floats kept as
  text, versions, order and tracking numbers, ISBNs, millisecond times) and a
  free-text column mixing both. Every cell is labelled, so a *miss* is a
  personal value whose hidden part (see :func:`leaked`) is still in the output,
  and a *false alarm* a non-personal value the output changed; a non-personal
  column that ``scan_column`` calls wholly personal (dropped before training)
  is listed too.
- **Real datasets** ($BIZFORGE_DATASETS or ../shared/datasets): public tables
  with no personal data columns; every value ``mask`` changes is listed by
  column and kind (then judged by hand in RESULTS.md: a review may quote a
  phone number).

The baseline runs the same measurements in a subprocess on ``git archive`` of
the baseline commit's ``src``; times are the median of 3 runs of ``mask_frame``
over the generated tables, as a ratio to the baseline's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, datasets_root, write_results

sys.path.insert(0, str(REPO / "tests"))
from pii_ids import luhn_complete, make_id  # test helpers: computed without bizforge

ROWS = 2000
SEED = 25
CLEAR = "clear"
TABLE_SUFFIXES = (".csv", ".tsv")


class Gen:
    """Realistic values from one seeded generator."""

    SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou")
    GERMAN = (
        "jörg.müller",
        "jürgen.groß",
        "sören.köhler",
        "björn.weiß",
        "anaïs.dupré",
        "åsa.ström",
        "łukasz.żak",
        "renée.faßbender",
        "zoë.brandt",
        "françois.bélanger",
    )
    AREAS = ("110105", "310104", "440305", "320102", "330106", "510104", "420106", "610113")

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def digits(self, n: int) -> str:
        return "".join(map(str, self.rng.integers(0, 10, n)))

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def name_zh(self) -> str:
        return self.pick(self.SURNAMES) + "".join(self.pick(self.GIVEN) for _ in range(2))

    def cn_id(self) -> str:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=int(self.rng.integers(0, 365 * 55)))
        return make_id(self.pick(self.AREAS), birth.strftime("%Y%m%d"), self.digits(3))

    def mobile(self) -> str:
        number = "1" + self.pick("3456789") + self.digits(9)
        style = int(self.rng.integers(4))
        return [
            number,
            f"{number[:3]}-{number[3:7]}-{number[7:]}",
            f"+86 {number}",
            f"{number[:3]} {number[3:7]} {number[7:]}",
        ][style]

    def landline(self) -> str:
        area = self.pick(["010", "021", "0571", "0755", "027"])
        return f"{area}-{self.pick('2345678')}{self.digits(7)}"

    def card(self, uncommon: bool) -> str:
        if uncommon:  # the leaks: 15-digit 2014..., 18-19-digit 06...
            prefix, length = self.pick([("2014", 15), ("06", 18), ("06", 19), ("9558", 19)])
        else:
            prefix, length = self.pick([("6222", 16), ("6217", 19), ("4", 16), ("5", 16)])
        number = luhn_complete(prefix + self.digits(length - len(prefix) - 1))
        if not uncommon and self.rng.random() < 0.3:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def email(self, german: bool = False) -> str:
        if german:
            return f"{self.pick(self.GERMAN)}{self.digits(2)}@{self.pick(['example.de', 'web.de'])}"
        local = f"{self.pick(self.PINYIN)}.{self.pick(self.PINYIN)}{self.digits(3)}"
        return f"{local}@{self.pick(['qq.com', '163.com', 'example.com'])}"

    def ip(self) -> str:
        kind = int(self.rng.integers(3))
        if kind == 0:
            return f"192.168.{int(self.rng.integers(256))}.{int(self.rng.integers(1, 255))}"
        if kind == 1:
            return f"10.{int(self.rng.integers(256))}.{int(self.rng.integers(256))}.{int(self.rng.integers(1, 255))}"
        return ".".join(str(int(self.rng.integers(1, 224))) for _ in range(4))

    def version(self) -> str:
        parts = [int(self.rng.integers(0, 10)) for _ in range(int(self.rng.integers(2, 5)))]
        return ".".join(map(str, parts)) if self.rng.random() > 0.05 else "Varies with device"

    def float_text(self) -> str:
        return repr(float(self.rng.random() * 100))  # 13-15 decimals: card-length runs

    def order_no(self) -> str:
        return self.pick("3456") + self.digits(int(self.rng.integers(15, 19)))

    def isbn(self) -> str:
        body = "978" + self.digits(9)  # ISBN-13: weights 1,3,1,3... (not Luhn)
        check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
        return body + str(check)

    def ms_time(self) -> str:
        return str(1_600_000_000_000 + int(self.rng.integers(0, 10**11)))


def generated_tables(seed: int = SEED) -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    """name -> (table, column -> 'personal' | 'clear' | 'text')."""
    g = Gen(seed)
    n = ROWS
    uncommon = g.rng.random(n) < 0.045  # 32 of 709 in the table
    zh = pd.DataFrame(
        {
            "姓名": [g.name_zh() for _ in range(n)],
            "身份证号": [g.cn_id() for _ in range(n)],
            "手机": [g.mobile() for _ in range(n)],
            "座机": [g.landline() for _ in range(n)],
            "银行卡号": [g.card(bool(u)) for u in uncommon],
            "邮箱": [g.email() for _ in range(n)],
            "登录IP": [g.ip() for _ in range(n)],
            "订单号": [g.order_no() for _ in range(n)],
            "App版本": [g.version() for _ in range(n)],
            "纬度": [g.float_text() for _ in range(n)],
            "金额": [f"{g.rng.random() * 10000:.2f}" for _ in range(n)],
            "下单时间戳": [g.ms_time() for _ in range(n)],
        }
    )
    kinds_zh = {
        "身份证号": "cn_id",
        "手机": "cn_mobile",
        "座机": "cn_landline",
        "银行卡号": "bank_card",
        "邮箱": "email",
        "登录IP": "ipv4",
    }
    # 姓名 is personal but not a kind bizforge masks (names are not pattern-detectable).
    kinds_zh |= {c: CLEAR for c in zh.columns if c not in kinds_zh and c != "姓名"}
    en = pd.DataFrame(
        {
            "Name": [f"Kunde {i}" for i in range(n)],
            "E-Mail": [g.email(german=True) if i % 2 else g.email() for i in range(n)],
            "Card": [g.card(bool(u)) for u in uncommon[::-1]],
            "Current Ver": [g.version() for _ in range(n)],
            "Build": [".".join(str(int(x)) for x in g.rng.integers(0, 12, 4)) for _ in range(n)],
            "Rating": [g.float_text() for _ in range(n)],
            "Tracking": [g.digits(13) for _ in range(n)],
            "ISBN": [g.isbn() for _ in range(n)],
        }
    )
    kinds_en = {"E-Mail": "email", "Card": "bank_card"}
    kinds_en |= {c: CLEAR for c in en.columns if c not in kinds_en and c != "Name"}
    return {"customers_zh": (zh, kinds_zh), "customers_en": (en, kinds_en), "notes_zh": _notes(g)}


def _notes(g: Gen) -> tuple[pd.DataFrame, dict[str, str]]:
    """Free text: each note holds one personal token or one look-alike, labelled."""

    def quad() -> str:
        return ".".join(str(int(x)) for x in g.rng.integers(0, 10, 4))

    makers = [
        ("cn_mobile", g.mobile, "客户来电 {}，请回电"),
        ("bank_card", lambda: g.card(True), "退款到卡号 {}"),
        ("email", lambda: g.email(german=True), "Kontakt: {}, danke"),
        ("ipv4", g.ip, "登录IP {} 异常"),
        (CLEAR, quad, "升级到版本 {} 后闪退"),
        (CLEAR, quad, "crash in v{}"),
        (CLEAR, g.float_text, "平均评分 {} 分"),
        (CLEAR, g.order_no, "订单 {} 已发货"),
    ]
    rows = []
    for i in range(ROWS):
        kind, make, template = makers[i % len(makers)]
        token = make()
        rows.append({"备注": template.format(token), "_kind": kind, "_token": token})
    return pd.DataFrame(rows), {"备注": "text"}


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def leaked(kind: str, token: str, after: str) -> bool:
    """True when ``after`` still shows a part of ``token`` that its mask hides.

    A partly masked value is a leak too (``jörg.mül***@example.de`` keeps the name).
    """
    if kind == "email":
        local, _, domain = token.rpartition("@")
        at = after.find("@" + domain)
        if at < 0:
            return local in after
        shown = after[:at].split()[-1] if after[:at].split() else ""
        return len(shown.replace("*", "")) > 1  # a mask keeps one character
    if kind == "ipv4":
        return ".".join(token.split(".")[:3]) in after
    d = _digits(token)
    hidden = {
        "cn_id": range(6, 14),
        "cn_mobile": range(len(d) - 8, len(d) - 4),
        "bank_card": range(len(d) - 4),
        "cn_landline": range(len(d) - 6, len(d) - 2),
    }[kind]
    shown = [c for c in after if c.isdigit() or c == "*"]  # position by position
    if len(shown) != len(d):  # hashed, or other digits around: look for the hidden run
        return "".join(d[i] for i in hidden) in _digits(after)
    return any(shown[i] == d[i] for i in hidden)


def _count(table: pd.DataFrame, kinds: dict[str, str], out: pd.DataFrame) -> dict:
    misses = alarms = personal = clear = 0
    detail = {}
    for col, kind in kinds.items():
        before = table[col].astype(str).tolist()
        after = out[col].astype(str).tolist() if col in out.columns else [""] * len(before)
        if kind == "text":
            labels, tokens = table["_kind"].tolist(), table["_token"].tolist()
        else:
            labels, tokens = [kind] * len(before), before
        m = a = 0
        for label, token, b, o in zip(labels, tokens, before, after, strict=True):
            if label == CLEAR:
                clear += 1
                a += b != o
            else:
                personal += 1
                m += leaked(label, token, o)
        misses, alarms = misses + m, alarms + a
        if m or a:
            detail[col] = {"missed": m, "altered": a}
    return {
        "personal": personal,
        "clear": clear,
        "missed": misses,
        "altered": alarms,
        "columns": detail,
    }


def measure_generated() -> dict:
    from bizforge.clean.pii import mask_frame, scan_column

    result, seconds = {}, []
    for name, (table, kinds) in generated_tables().items():
        cols = list(kinds)
        out, _ = mask_frame(table[cols])
        counts = _count(table, kinds, out)
        counts["dropped_as_personal"] = [
            c
            for c, k in kinds.items()
            if k == CLEAR and (found := scan_column(table[c])) is not None and found.whole
        ]
        result[name] = counts
    tables = [table[list(kinds)] for table, kinds in generated_tables().values()]
    for _ in range(3):
        start = time.perf_counter()
        for table in tables:
            mask_frame(table)
        seconds.append(time.perf_counter() - start)
    return {"tables": result, "seconds": statistics.median(seconds)}


# Values that look like personal data to a careless rule: long digit runs (cards,
# IDs, phones), dotted quads, an @ between words, long decimals.
LOOKALIKE = r"[0-9]{11,}|[0-9]+(?:\.[0-9]+){3}|\w@\w|\.[0-9]{13,}"
EXTRA_TABLES = ("cmapss_fd001/train_FD001.txt",)  # space-separated, long decimals


def measure_datasets() -> dict:
    from bizforge.clean.pii import mask_frame
    from bizforge.config import get_settings
    from bizforge.ingest import read

    root = datasets_root()
    if root is None:
        return {}
    settings = get_settings(large_file_bytes=sys.maxsize)
    found = {}
    paths = [p for p in sorted(root.rglob("*")) if p.suffix.lower() in TABLE_SUFFIXES]
    paths += [root / extra for extra in EXTRA_TABLES if (root / extra).exists()]
    for path in paths:
        if "images" in path.parts:
            continue
        frame = read(path, settings=settings, coerce=False).frame
        out, audit = mask_frame(frame)
        rel = str(path.relative_to(root))
        text = frame.astype(str)
        looks = sum(int(text[c].str.contains(LOOKALIKE, regex=True).sum()) for c in text.columns)
        found[rel] = {"rows": len(frame), "lookalike": looks, "changed": {}}
        for entry in audit["columns"]:
            col = entry["column"]
            changed = int((frame[col].astype(str) != out[col].astype(str)).sum())
            found[rel]["changed"][col] = {"values": changed, "kinds": entry["kinds"]}
    return found


def _baseline(commit: str) -> dict | None:
    if commit == "none":
        return None
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit, "src"], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        done = subprocess.run(
            [sys.executable, __file__, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout)


def _lines(now: dict, base: dict | None, commit: str) -> list[str]:
    lines = [
        (
            "Generated tables (2,000 rows each; personal values left in clear / non-personal "
            "values altered):"
        ),
        "",
    ]
    for name, counts in now["generated"]["tables"].items():
        old = base["generated"]["tables"][name] if base else None
        was = f" (at {commit}: {old['missed']} / {old['altered']})" if old else ""
        lines.append(
            f"- {name}: {counts['personal']:,} personal, {counts['clear']:,} other values "
            f"-> missed {counts['missed']} / altered {counts['altered']}{was}"
        )
        for col, d in counts["columns"].items():
            lines.append(f"  - {col}: missed {d['missed']}, altered {d['altered']}")
        if counts["dropped_as_personal"]:
            lines.append(
                f"  - wrongly dropped as personal: {', '.join(counts['dropped_as_personal'])}"
            )
        if old and old["columns"]:
            before = "; ".join(
                f"{c} {d['missed']}/{d['altered']}" for c, d in old["columns"].items()
            )
            lines.append(f"  - at {commit}: {before}")
            if old["dropped_as_personal"]:
                lines.append(
                    f"  - at {commit}, dropped as personal: {', '.join(old['dropped_as_personal'])}"
                )
    if base:
        ratio = now["generated"]["seconds"] / base["generated"]["seconds"]
        lines += [
            "",
            (
                f"mask_frame over the generated tables: {now['generated']['seconds']:.2f} s, "
                f"{ratio:.2f}x the time at {commit} ({base['generated']['seconds']:.2f} s)"
            ),
        ]
    lines += [
        "",
        (
            "Real datasets, values changed by `mask` (none of these tables has a personal-data "
            "column; look-alikes: 11+ digit runs, dotted quads, x@y, 13+ decimals):"
        ),
        "",
    ]
    for rel, d in now["datasets"].items():
        o = (base or {}).get("datasets", {}).get(rel)
        changed = sum(c["values"] for c in d["changed"].values())
        where = "; ".join(f"{c} {v['values']} {v['kinds']}" for c, v in d["changed"].items())
        was = ""
        if o is not None:
            was = f" (at {commit}: {sum(c['values'] for c in o['changed'].values())})"
        lines.append(
            f"- {rel}: {d['rows']:,} rows, {d['lookalike']:,} look-alike values, "
            f"{changed} changed{was}" + (f" — {where}" if where else "")
        )
    if not now["datasets"]:
        lines.append("- skipped: no datasets folder")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="5b20f45", help="commit to compare with, or none")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args()
    now = {"generated": measure_generated(), "datasets": measure_datasets()}
    if args.json:
        print(json.dumps(now, ensure_ascii=False))
        return
    base = _baseline(args.baseline)
    lines = _lines(now, base, args.baseline)
    print("\n".join(lines))
    write_results(
        "## pii: misses and false alarms of `mask` — 2026-12-07",
        f"python bench/pii.py --baseline {args.baseline}",
        ["shared with parallel work: times are under load", "", *lines],
    )


if __name__ == "__main__":
    main()
