"""Calibration of encoding detection: many small tables of real sentences in each language,
written in each encoding, read back by ``detect_encoding``; counts the false detections.

Sentences: Chinese hotel reviews from ChnSentiCorp (datasets/chinese_reviews); for Big5
the same reviews with the characters Big5 lacks left out (a stand-in for traditional
text: the common characters and their frequencies are those of real Chinese); German,
French, Spanish and Japanese sentences written here (business-table wording: addresses,
remarks, product names). Files of 1, 2, 5, 20 and 100 rows; a row is
``id;city-or-name;sentence;amount`` (comma-separated for Chinese), and in every other
file the sentence is left empty (only place names carry the language).

Usage: python bench/encoding.py [--files-per-case 40] [--no-record]
Skips politely when the datasets are absent.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import datasets_root, print_and_record

from bizforge.ingest.encoding import detect_encoding

GERMAN = [
    "Die Lieferung kam zwei Tage zu spät, aber die Ware war in Ordnung.",
    "Bitte die Rechnung an die neue Adresse in der Hauptstraße schicken.",
    "Kunde wünscht Rückruf am Vormittag wegen der Mahnung.",
    "Größe passt nicht, Umtausch gegen eine kleinere Größe gewünscht.",
    "Zahlung per Überweisung ist eingegangen, vielen Dank.",
    "Der Techniker konnte den Fehler am Gerät nicht beheben.",
    "Grüße aus München und ein schönes Wochenende!",
    "Lieferadresse: Königsallee 12, 40212 Düsseldorf.",
    "Die Bestellung wurde storniert, weil der Artikel nicht mehr lieferbar ist.",
    "Mängel an der Verpackung, Inhalt unbeschädigt.",
    "Vertrag läuft zum Jahresende aus, Verlängerung angefragt.",
    "Über die Hotline nicht erreichbar, bitte per E-Mail antworten.",
    "Rabatt von 15 Prozent für Stammkunden gewährt.",
    "Öffnungszeiten: Montag bis Freitag von 8 bis 17 Uhr.",
    "Das Gerät läuft wieder einwandfrei, Kunde ist zufrieden.",
    "Straßenbahnhaltestelle direkt vor dem Geschäft.",
    "Bitte um Rückerstattung der Versandkosten.",
    "Die Wärmepumpe macht nachts laute Geräusche.",
    "Bestätigung der Kündigung zum 31. März erhalten.",
    "Fahrzeug wurde am Dienstag zur Inspektion gebracht.",
]
FRENCH = [
    "La livraison est arrivée avec deux jours de retard.",
    "Merci d'envoyer la facture à l'adresse de l'entreprise.",
    "Le client souhaite être rappelé après déjeuner.",
    "Commande annulée : l'article n'est plus disponible.",
    "Très bon accueil, personnel agréable et efficace.",
    "Paiement reçu par virement, merci beaucoup.",
    "Le réfrigérateur ne refroidit plus depuis la semaine dernière.",
    "Adresse : 5 rue de l'Église, 75004 Paris.",
    "Remboursement accordé après vérification du colis.",
    "Problème réglé, le client est satisfait du service.",
    "Délai de livraison trop long pour une commande urgente.",
    "Prière de répondre par courriel avant vendredi.",
]
SPANISH = [
    "El pedido llegó con dos días de retraso, pero en buen estado.",
    "Por favor, envíe la factura a la dirección de la oficina.",
    "El cliente pidió una devolución del importe íntegro.",
    "Atención muy amable y rápida, volveré a comprar.",
    "La batería del teléfono dura menos de lo esperado.",
    "Dirección: Calle Mayor 14, 28013 Madrid, España.",
    "Pago recibido por transferencia bancaria, gracias.",
    "El técnico revisará la instalación el próximo miércoles.",
]
JAPANESE = [
    "配送が二日遅れましたが、商品には問題ありませんでした。",
    "請求書を新しい住所に送ってください。",
    "お客様から午前中に折り返しの電話を希望されています。",
    "サイズが合わないため、交換を希望します。",
    "振込を確認しました。ありがとうございました。",
    "担当者が不在のため、明日改めてご連絡します。",
    "東京都千代田区丸の内一丁目二番三号",
    "商品の梱包が破れていましたが、中身は無事でした。",
    "返品の手続きについて教えてください。",
    "営業時間は月曜日から金曜日の午前九時から午後六時までです。",
    "注文をキャンセルしたいのですが、可能でしょうか。",
    "とても親切な対応で満足しています。",
    "製品の保証期間は一年間です。",
    "大阪府大阪市北区梅田三丁目",
    "在庫切れのため、入荷までお待ちください。",
]
PLACES = {
    "de": ["München", "Köln", "Düsseldorf", "Nürnberg", "Berlin", "Lübeck"],
    "fr": ["Orléans", "Besançon", "Nîmes", "Paris", "Lyon", "Évry"],
    "es": ["Málaga", "Córdoba", "León", "Madrid", "Cádiz", "Logroño"],
    "ja": ["東京", "大阪", "名古屋", "札幌", "福岡", "横浜"],
    "zh": ["北京", "上海", "广州", "深圳", "成都", "杭州"],
    "zh-hant": ["臺北", "高雄", "臺中", "新竹", "花蓮", "臺南"],
}
# Which detected names count as right for each written encoding.
SAME = {
    "gbk": {"gb18030", "gbk"}, "gb18030": {"gb18030"}, "big5": {"big5", "big5hkscs", "cp950"},
    "shift_jis": {"cp932", "shift_jis"}, "cp1252": {"cp1252"},
    "latin-1": {"cp1252", "latin_1", "iso8859-1", "iso8859_15"}, "utf-8": {"utf-8"},
    "utf-16": {"utf-16"},
}
CASES = [  # (language, encoding)
    ("zh", "gbk"), ("zh", "gb18030"), ("zh", "utf-8"), ("zh", "utf-16"),
    ("zh-hant", "big5"), ("zh-hant", "utf-16"), ("ja", "shift_jis"),
    ("de", "cp1252"), ("de", "latin-1"), ("de", "utf-8"),
    ("fr", "cp1252"), ("fr", "latin-1"), ("es", "latin-1"),
]
SIZES = (1, 2, 5, 20, 100)


def _chinese(root: Path, limit: int = 3000) -> list[str]:
    path = root / "chinese_reviews" / "ChnSentiCorp_htl_all.csv"
    with open(path, encoding="utf-8") as fh:
        rows = [r["review"].replace("\n", " ") for r in csv.DictReader(fh) if r.get("review")]
    return [r[:80] for r in rows[:limit]]


def _big5_only(text: str) -> str:
    return "".join(c for c in text if c.isascii() or _encodes(c, "big5"))


def _encodes(c: str, encoding: str) -> bool:
    try:
        c.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _table(lang: str, sentences: list[str], rows: int, rng: random.Random,
           short: bool = False) -> str:
    """A small table; ``short``: only the id and a place name per row (a few letters of
    the language in the whole file, the hardest case)."""
    sep = "," if lang.startswith("zh") else ";"
    head = {"zh": "编号,城市,评论,金额", "zh-hant": "編號,城市,評論,金額",
            "ja": "番号;都市;備考;金額"}.get(lang, "id;ort;text;betrag")
    lines = [head if lang.startswith("zh") else head.replace(",", sep)]
    for i in range(rows):
        text = "" if short else rng.choice(sentences).replace('"', "'")
        lines.append(sep.join([str(i + 1), rng.choice(PLACES[lang]), f'"{text}"',
                               f"{rng.randint(1, 9999)}"]))
    return "\n".join(lines) + "\n"


def _time(zh: list[str]) -> int:
    """Seconds (best of 3) to detect the encoding of two large files; run it on two trees
    to compare them on one machine."""
    import time

    with tempfile.TemporaryDirectory() as tmp:
        gbk, latin = Path(tmp) / "gbk.csv", Path(tmp) / "latin.csv"
        text = "label,review\n" + "".join(f'1,"{r}"\n' for r in zh * 4)[: 1_000_000]
        gbk.write_bytes(text.encode("gbk", "ignore"))
        latin.write_bytes(("a;b\n" + "Straße;Grüße aus München\n" * 60_000).encode("latin-1"))
        for path in (gbk, latin):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                found = detect_encoding(path).encoding
                times.append(time.perf_counter() - start)
            print(f"{path.name} ({path.stat().st_size / 1e6:.1f} MB): {found} in {min(times):.3f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files-per-case", type=int, default=40)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--time", action="store_true",
                        help="only time detect_encoding on two 1.5 MB files (GBK, Latin-1)")
    args = parser.parse_args()
    root = datasets_root()
    if root is None or not (root / "chinese_reviews").is_dir():
        print("skipped: datasets/chinese_reviews not found (set BIZFORGE_DATASETS)")
        return 0
    zh = _chinese(root)
    if args.time:
        return _time(zh)
    zh_hant = [s for s in (_big5_only(t) for t in zh) if len(s) > 8]
    sentences = {"zh": zh, "zh-hant": zh_hant, "ja": JAPANESE, "de": GERMAN, "fr": FRENCH,
                 "es": SPANISH}
    rng = random.Random(0)
    results: dict[tuple[str, str], Counter] = defaultdict(Counter)
    confidence: dict[str, list[float]] = defaultdict(list)
    wrong: Counter = Counter()
    ascii_only = 0
    with tempfile.TemporaryDirectory() as tmp:
        for lang, enc in CASES:
            for k in range(args.files_per_case):
                rows = SIZES[k % len(SIZES)]
                path = Path(tmp) / f"{lang}_{enc}_{k}.csv"
                data = _table(lang, sentences[lang], rows, rng, short=k % 2 == 1).encode(
                    enc, "ignore")
                if data.isascii():
                    ascii_only += 1  # every ASCII-compatible answer is right: not counted
                    continue
                path.write_bytes(data)
                guess = detect_encoding(path)
                ok = guess.encoding in SAME[enc]
                results[(lang, enc)]["right" if ok else "wrong"] += 1
                confidence["right" if ok else "wrong"].append(getattr(guess, "confidence", 1.0))
                if not ok:
                    wrong[f"{lang} {enc} -> {guess.encoding} ({rows} rows)"] += 1
    total = sum(sum(c.values()) for c in results.values())
    n_wrong = sum(c["wrong"] for c in results.values())
    body = [(f"- {total} files ({args.files_per_case} per case, {len(SIZES)} sizes 1-100 rows, "
             f"half with sentences, half with place names only; {ascii_only} pure-ASCII files "
             f"left out): {total - n_wrong} detected right, **{n_wrong} false detections**")]
    for (lang, enc), c in results.items():
        body.append(f"  - {lang} written as {enc}: {c['right']} right, {c['wrong']} wrong")
    for key in ("right", "wrong"):
        values = sorted(confidence[key])
        if values:
            body.append(f"- confidence when {key}: min {values[0]:.2f}, median "
                        f"{values[len(values) // 2]:.2f}, max {values[-1]:.2f}")
    try:
        from bizforge.ingest.layout import UNSURE
    except ImportError:  # an older tree, run for comparison
        UNSURE = 0.0
    unsure = sum(1 for v in confidence["right"] if v < UNSURE)
    body.append(f"- right detections below the warning threshold {UNSURE} (a needless "
                f"'encoding_uncertain' warning): {unsure}")
    for what, n in wrong.most_common(10):
        body.append(f"  - false: {what} x{n}")
    print_and_record("## Encoding detection calibration (bench/encoding.py)",
                     "python bench/encoding.py", body, not args.no_record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
