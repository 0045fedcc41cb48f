"""Write the messy-file corpus of issue #25 into a folder, with ``expected.json`` beside it.

Every case of the issue, Chinese first: title/source lines above the header and notes
below (1), Excel title/unit rows and deep header bands (2), encodings (3), decimal
commas (4), numbers with units and codes (5), times stored as numbers (6), Excel error
values and Parquet empty strings (7), nested JSON lines (8), total rows (9), the reader
facts of ``inspect --json`` (10), and the privacy cases of ``mask`` (m). The files are
made here, in code (nothing binary is kept in the repository); their contents imitate
the real exports the issue describes.

``expected.json`` maps each file name to what a right read looks like::

    {"defect": "1", "what": "...", "options": {"header_row": 3},
     "columns": [...], "rows": 4, "roles": {"2024年": "numeric"},
     "values": {"地区": ["北京", "上海"]}, "reader": {"encoding": "gb18030"},
     "findings": ["合计"],                       # words a finding message must contain
     "error_mentions": ["--decimal"],            # an exit 3 naming these is a clear error
     "mask": {"clear_absent": [...], "kept": [...], "readable_as": "gb18030"}}

Usage: python bench/messy_corpus.py OUT_DIR   (bench/messy.py calls it itself)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["write_corpus"]


def _luhn_complete(prefix: str, length: int) -> str:
    """``prefix`` padded with 1s to ``length`` digits, the last one a Luhn check digit."""
    body = (prefix + "1" * length)[: length - 1]
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return body + str((10 - total % 10) % 10)


def _text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def _excel(path: Path, rows: list[list], merges: tuple[str, ...] = (), number_format=None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    if number_format:
        column, fmt = number_format
        for cell in ws[column][1:]:
            cell.number_format = fmt
    wb.save(path)


STATS = ("数据库：年度数据\n指标：地区生产总值(亿元)\n时间：最近3年\n地区,2024年,2023年,2022年\n"
         "北京市,49843.1,43760.7,41610.9\n天津市,18024.3,16737.3,16311.3\n"
         "河北省,47526.9,43944.1,42370.4\n山西省,25494.1,25698.2,25642.6\n"
         "注：2024年数据为初步核算数。\n数据来源：国家统计局\n")


def _cases(folder: Path):
    """Yield ``(file name, expectation)`` after writing each file into ``folder``."""
    # -- 1. title/notes in text files ------------------------------------------------
    _text(folder / "01_zh_stats_title_notes.csv", STATS)
    yield "01_zh_stats_title_notes.csv", {
        "defect": "1", "what": "statistics export: 3 title lines, 2 note lines",
        "columns": ["地区", "2024年", "2023年", "2022年"], "rows": 4,
        "roles": {"2024年": "numeric", "2022年": "numeric"},
        "values": {"地区": ["北京市", "天津市", "河北省", "山西省"]},
        "reader": {"header_row": 4}}
    _text(folder / "02_zh_gbk_title_notes.csv", STATS.replace("数据库", "统计库"), "gbk")
    yield "02_zh_gbk_title_notes.csv", {
        "defect": "1", "what": "the same in GBK",
        "columns": ["地区", "2024年", "2023年", "2022年"], "rows": 4,
        "values": {"地区": ["北京市", "天津市", "河北省", "山西省"]},
        "reader": {"encoding": "gb18030"}}
    pad = ",,,,,"
    _text(folder / "02b_zh_nbs_padded_gbk.csv",
          f"数据库：年度数据{pad}\n地区：全国{pad}\n时间：最近5年{pad}\n"
          "指标,2024年,2023年,2022年,2021年,2020年\n"
          "人口出生率(‰),6.77,6.39,6.77,7.52,8.52\n人口死亡率(‰),7.76,7.87,7.37,7.18,7.07\n"
          "人口自然增长率(‰),-0.99,-1.48,-0.60,0.34,1.45\n"
          f"注：2020年数据为第七次全国人口普查数据。{pad}\n数据来源：国家统计局{pad}\n", "gbk")
    yield "02b_zh_nbs_padded_gbk.csv", {
        "defect": "1", "what": "NBS export as saved from Excel: title and note lines padded "
        "with commas to the table's width (GBK)",
        "columns": ["指标", "2024年", "2023年", "2022年", "2021年", "2020年"], "rows": 3,
        "roles": {"2020年": "numeric"}, "values": {"2024年": [6.77, 7.76, -0.99]},
        "reader": {"header_row": 4, "encoding": "gb18030"}}
    _text(folder / "03_zh_shop_export_notes.txt",
          "店铺订单导出\n导出时间：2024-05-01 10:00\n订单号\t商品\t数量\t金额\n"
          "A1001\t保温杯\t2\t59.80\nA1002\t雨伞\t1\t35.00\nA1003\t茶叶\t3\t120.00\n"
          "备注：金额含运费\n")
    yield "03_zh_shop_export_notes.txt", {
        "defect": "1", "what": "tab-separated shop export, title, export time, 备注 below",
        "columns": ["订单号", "商品", "数量", "金额"], "rows": 3,
        "roles": {"金额": "numeric"}, "values": {"商品": ["保温杯", "雨伞", "茶叶"]}}
    _text(folder / "04_en_wdi_source_lines.csv",
          '"Data Source","World Development Indicators",\n\n'
          '"Last Updated Date","2016-05-02",\n\n'
          '"Country Name","Country Code","Indicator Name","2013","2014","2015",\n'
          '"Aruba","ABW","Population","102921","103441","103889",\n'
          '"Andorra","AND","Population","80788","79223","78014",\n'
          '"Afghanistan","AFG","Population","30682500","31627506","32526562",\n')
    yield "04_en_wdi_source_lines.csv", {
        "defect": "1", "what": "WDI export: quoted source lines with commas above the header",
        "columns": ["Country Name", "Country Code", "Indicator Name", "2013", "2014", "2015"],
        "rows": 3,
        "roles": {"2014": "numeric"}, "values": {"Country Code": ["ABW", "AND", "AFG"]},
        "reader": {"header_row": 5}}
    _text(folder / "05_de_quelle_title.csv",
          "Quelle: Landeswahlleiter 2025;;\nLand;Kennziffer;Stimmen\nBayern;9;712345\n"
          "Hessen;6;402311\nSachsen;14;298765\nThüringen;16;150321\n", "cp1252")
    yield "05_de_quelle_title.csv", {
        "defect": "1", "what": "German election export: source line with ;; above the header",
        "columns": ["Land", "Kennziffer", "Stimmen"], "rows": 4,
        "values": {"Land": ["Bayern", "Hessen", "Sachsen", "Thüringen"]},
        "roles": {"Stimmen": "numeric"}}
    _text(folder / "06_en_source_below.csv",
          "region,units,revenue\nNorth,120,3400.5\nSouth,98,2890.0\nEast,143,4010.25\n"
          "West,87,2500.75\n\nSource: Sales ledger, FY2024\nNote: revenue in USD\n")
    yield "06_en_source_below.csv", {
        "defect": "1", "what": "Source: and Note: lines under the table",
        "columns": ["region", "units", "revenue"], "rows": 4,
        "roles": {"revenue": "numeric", "units": "numeric"}}
    _text(folder / "07_zh_two_tables_header_row.csv",
          "项目,值\n报表,月报\n门店,销售额,客流\nS01,1200,88\nS02,980,75\nS03,1500,102\n")
    yield "07_zh_two_tables_header_row.csv", {
        "defect": "1", "what": "key/value block above the table: --header-row 3",
        "options": {"header_row": 3},
        "columns": ["门店", "销售额", "客流"], "rows": 3, "roles": {"销售额": "numeric"}}
    # -- 2. Excel title, unit, notes, header bands ---------------------------------------
    _excel(folder / "08_zh_excel_title_unit.xlsx",
           [["2024年各地区销售额", None, None], ["单位：万元", None, None],
            ["地区", "销售额", "利润"], ["北京", 1200.5, 230.1], ["上海", 1320.0, 260.4],
            ["广州", 980.2, 150.3], ["注：不含港澳台地区", None, None]], merges=("A1:C1",))
    yield "08_zh_excel_title_unit.xlsx", {
        "defect": "2", "what": "merged title, unit row, note row",
        "columns": ["地区", "销售额", "利润"], "rows": 3,
        "roles": {"销售额": "numeric"}, "values": {"地区": ["北京", "上海", "广州"]},
        "reader": {"units": {"销售额": "万元", "利润": "万元"}}}
    _excel(folder / "09_zh_excel_deep_band.xlsx",
           [["地区", "2024年", None, None, None], [None, "上半年", None, "下半年", None],
            [None, "一季度", "二季度", "三季度", "四季度"],
            [None, "销售额", "销售额", "销售额", "销售额"], [None, "万元", "万元", "万元", "万元"],
            ["北京", 10, 12, 13, 15], ["上海", 11, 12, 14, 16], ["深圳", 9, 10, 12, 13]],
           merges=("A1:A5", "B1:E1", "B2:C2", "D2:E2"))
    yield "09_zh_excel_deep_band.xlsx", {
        "defect": "2", "what": "5-row merged header band with a unit row",
        "columns": ["地区", "2024年_上半年_一季度_销售额", "2024年_上半年_二季度_销售额",
                    "2024年_下半年_三季度_销售额", "2024年_下半年_四季度_销售额"], "rows": 3,
        "values": {"地区": ["北京", "上海", "深圳"]}}
    _excel(folder / "10_en_excel_census_title.xlsx",
           [["Table 3. Resident population by state", None, None],
            ["(in thousands)", None, None], ["State", "2020", "2021"],
            ["Alabama", 5031.9, 5049.8], ["Alaska", 732.9, 734.2], ["Arizona", 7186.7, 7272.5],
            ["Source: U.S. Census Bureau", None, None]])
    yield "10_en_excel_census_title.xlsx", {
        "defect": "2", "what": "US statistics workbook: title, unit, source rows",
        "columns": ["State", "2020", "2021"], "rows": 3, "roles": {"2021": "numeric"},
        "reader": {"units": {"2020": "thousands", "2021": "thousands"}}}
    # -- 3. encodings ----------------------------------------------------------------------
    _text(folder / "11_zh_big5_tw.csv",
          "縣市,鄉鎮,人口數,面積\n臺北市,中正區,159608,7.6\n臺北市,大同區,126567,5.7\n"
          "高雄市,鼓山區,138465,14.8\n新北市,板橋區,552700,23.1\n", "big5")
    yield "11_zh_big5_tw.csv", {
        "defect": "3", "what": "Taiwanese government table in Big5",
        "columns": ["縣市", "鄉鎮", "人口數", "面積"], "rows": 4,
        "values": {"鄉鎮": ["中正區", "大同區", "鼓山區", "板橋區"]},
        "reader": {"encoding": "big5"}}
    _text(folder / "12_zh_utf16_tw.txt",
          "機關\t年度\t預算數\n內政部\t113\t2500\n財政部\t113\t3100\n教育部\t113\t2800\n", "utf-16")
    yield "12_zh_utf16_tw.txt", {
        "defect": "3", "what": "UTF-16 with BOM, tab-separated",
        "columns": ["機關", "年度", "預算數"], "rows": 3, "reader": {"encoding": "utf-16"}}
    _text(folder / "13_zh_gb18030.csv",
          "姓名,籍贯,备注\n张三,北京,㐀字辈\n李四,上海,无\n王五,广州,无\n", "gb18030")
    yield "13_zh_gb18030.csv", {
        "defect": "3", "what": "GB18030 with a 4-byte character",
        "columns": ["姓名", "籍贯", "备注"], "rows": 3,
        "values": {"备注": ["㐀字辈", "无", "无"]}, "reader": {"encoding": "gb18030"}}
    _text(folder / "14_de_latin1_bank.csv",
          "Buchungstag;Empfänger;Verwendungszweck;Straße;Währung\n"
          "01.03.2024;Müller GmbH;Miete März;Hauptstraße 5;EUR\n"
          "02.03.2024;Stadtwerke Köln;Abschlag Strom;Ringstraße 1;EUR\n"
          "05.03.2024;Bäckerei Groß;Brötchen;Königsweg 3;EUR\n", "latin-1")
    yield "14_de_latin1_bank.csv", {
        "defect": "3", "what": "German bank export in Latin-1 (was read as Big5)",
        "columns": ["Buchungstag", "Empfänger", "Verwendungszweck", "Straße", "Währung"],
        "rows": 3, "values": {"Straße": ["Hauptstraße 5", "Ringstraße 1", "Königsweg 3"]},
        "reader": {"encoding": "cp1252"},
        "mask": {"kept": ["Hauptstraße 5", "Bäckerei Groß"]}}
    _text(folder / "15_ja_sjis.csv",
          "商品名,価格,在庫\n緑茶,1200,30\n抹茶ラテ,450,12\nほうじ茶,800,0\n", "shift_jis")
    yield "15_ja_sjis.csv", {
        "defect": "3", "what": "Japanese Shift-JIS",
        "columns": ["商品名", "価格", "在庫"], "rows": 3,
        "values": {"商品名": ["緑茶", "抹茶ラテ", "ほうじ茶"]}, "reader": {"encoding": "cp932"}}
    _text(folder / "16_fr_cp1252_short.csv", "Nom;Ville\nBéatrice;Orléans\n", "cp1252")
    yield "16_fr_cp1252_short.csv", {
        "defect": "3", "what": "two-line French cp1252 file",
        "columns": ["Nom", "Ville"], "rows": 1, "values": {"Ville": ["Orléans"]},
        "reader": {"encoding": "cp1252"}}
    # -- 4. decimal commas -------------------------------------------------------------------
    _text(folder / "17_de_decimal_comma.csv",
          "Artikel;Gewicht_kg;Preis;Saldo\nMehl;1,500;12,50;-300,00\nZucker;0,750;3,99;1.234,56\n"
          "Salz;2,000;0,89;15,00\n", "cp1252")
    yield "17_de_decimal_comma.csv", {
        "defect": "4", "what": "decimal commas in a ; file (1,500 kg is 1.5)",
        "columns": ["Artikel", "Gewicht_kg", "Preis", "Saldo"], "rows": 3,
        "roles": {"Gewicht_kg": "numeric", "Preis": "numeric", "Saldo": "numeric"},
        "values": {"Gewicht_kg": [1.5, 0.75, 2.0], "Saldo": [-300.0, 1234.56, 15.0]},
        "error_mentions": ["--decimal"]}
    # -- 5. numbers with units, codes --------------------------------------------------------
    _text(folder / "18_zh_housing_units.csv",
          "小区,面积,单价,总价\n阳光花园,89平米,10000元/平米,89万\n"
          "和平里,120平米,12500元/平米,150万\n新城小区,65平米,9800元/平米,63.7万\n"
          "滨江苑,143平米,21000元/平米,300.3万\n")
    yield "18_zh_housing_units.csv", {
        "defect": "5", "what": "Chinese housing ads: 89平米, 10000元/平米",
        "columns": ["小区", "面积", "单价", "总价"], "rows": 4,
        "roles": {"面积": "numeric", "单价": "numeric", "总价": "numeric"}}
    rows = "".join(f"2024-0{m},{120000000 + m * 3456789}\n" for m in range(1, 10))
    _text(folder / "19_zh_amount_fixed_width.csv", "月份,销售额(元)\n" + rows)
    yield "19_zh_amount_fixed_width.csv", {
        "defect": "5", "what": "9-digit sales amounts named 销售额(元) are not identifiers",
        "columns": ["月份", "销售额(元)"], "rows": 9, "roles": {"销售额(元)": "numeric"}}
    _text(folder / "20_zh_tw_postal_codes.csv",
          "機構,郵遞區號,電話\n臺北郵局,100,02-23931261\n板橋郵局,220,02-29660811\n"
          "桃園郵局,330,03-3325000\n臺中郵局,400,04-22222222\n高雄郵局,800,07-2321111\n"
          "花蓮郵局,970,03-8322002\n")
    yield "20_zh_tw_postal_codes.csv", {
        "defect": "5", "what": "郵遞區號 are codes, not quantities",
        "columns": ["機構", "郵遞區號", "電話"], "rows": 6,
        "roles": {"郵遞區號": ["categorical", "id"]}}
    _text(folder / "21_en_appstore_installs.csv",
          "app,installs,size,weight\nNotes,\"10,000+\",5.2M,5 kg\nMaps,\"1,000,000+\",12M,7 kg\n"
          "Chat,\"500+\",3.1M,2 kg\nGame,\"50,000+\",45M,9 kg\n")
    yield "21_en_appstore_installs.csv", {
        "defect": "5", "what": "10,000+ and 5 kg are numbers with a unit",
        "columns": ["app", "installs", "size", "weight"], "rows": 4,
        "roles": {"installs": "numeric", "weight": "numeric"}}
    # -- 6. times stored as numbers ------------------------------------------------------
    secs = [1704067200 + i * 86400 * 7 for i in range(8)]
    _text(folder / "22_en_unix_seconds.csv", "order_id,created_at,amount\n" + "".join(
        f"O{i},{s},{10 + i}\n" for i, s in enumerate(secs)))
    yield "22_en_unix_seconds.csv", {
        "defect": "6", "what": "Unix seconds in created_at",
        "columns": ["order_id", "created_at", "amount"], "rows": 8,
        "roles": {"created_at": "datetime"}}
    _text(folder / "23_en_unix_ms.csv", "event,ts_ms\n" + "".join(
        f"click,{s * 1000 + 123}\n" for s in secs))
    yield "23_en_unix_ms.csv", {
        "defect": "6", "what": "Unix milliseconds in ts_ms",
        "columns": ["event", "ts_ms"], "rows": 8, "roles": {"ts_ms": "datetime"}}
    _text(folder / "24_zh_tw_roc_dates.csv",
          "案號,收文日期,金額\n1,0960614,500\n2,0970102,800\n3,1000815,650\n4,1120301,900\n"
          "5,1131231,300\n")
    yield "24_zh_tw_roc_dates.csv", {
        "defect": "6", "what": "Taiwan ROC dates 0960614",
        "columns": ["案號", "收文日期", "金額"], "rows": 5, "roles": {"收文日期": "datetime"}}
    _excel(folder / "25_excel_serial_dates.xlsx",
           [["invoice", "date", "total"]] + [[f"I{i}", 45292 + i * 31, 100 + i] for i in range(6)],
           number_format=("B", "0"))
    yield "25_excel_serial_dates.xlsx", {
        "defect": "6", "what": "Excel serial day numbers in a number-formatted date column",
        "columns": ["invoice", "date", "total"], "rows": 6, "roles": {"date": "datetime"}}
    # -- 7. missing values --------------------------------------------------------------
    _excel(folder / "26_zh_excel_error_values.xlsx",
           [["门店", "毛利率", "增长率"], ["S1", 0.25, "#DIV/0!"], ["S2", "#VALUE!", 0.1],
            ["S3", 0.3, "#N/A"], ["S4", "#REF!", 0.2], ["S5", 0.28, "#NUM!"], ["S6", "#NAME?", 0.05]])
    yield "26_zh_excel_error_values.xlsx", {
        "defect": "7", "what": "Excel error values in number columns are missing values",
        "columns": ["门店", "毛利率", "增长率"], "rows": 6,
        "roles": {"毛利率": "numeric", "增长率": "numeric"}}
    import pandas as pd

    pd.DataFrame({"city": ["北京", "", "上海", "", "广州"], "score": [1, 2, 3, 4, 5]}).to_parquet(
        folder / "27_zh_parquet_empty_strings.parquet", index=False)
    yield "27_zh_parquet_empty_strings.parquet", {
        "defect": "7", "what": "empty strings in Parquet count as missing",
        "columns": ["city", "score"], "rows": 5, "missing": {"city": 2}}
    # -- 8. nested JSON lines ---------------------------------------------------------------
    events = [{"user": {"id": f"u{i}", "city": "杭州"}, "ts": {"created": f"/Date({1704067200000 + i * 3600000})/"},
               "amount": 10 + i} for i in range(5)]
    _text(folder / "28_zh_nested_events.jsonl",
          "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
    yield "28_zh_nested_events.jsonl", {
        "defect": "8", "what": "nested objects and /Date(ms)/ in JSON lines",
        "columns": ["user.id", "user.city", "ts.created", "amount"], "rows": 5,
        "roles": {"ts.created": "datetime"}}
    # -- 9. total rows -------------------------------------------------------------------------
    _text(folder / "29_zh_total_row.csv",
          "地区,销售额,利润\n华东,100,20\n华南,80,15\n华北,60,10\n合计,240,45\n")
    yield "29_zh_total_row.csv", {
        "defect": "9", "what": "合计 row that sums the others gets a finding",
        "columns": ["地区", "销售额", "利润"], "findings": ["合计"]}
    # -- 10. reader facts in inspect --json -------------------------------------------------
    _text(folder / "30_zh_big5_reader_facts.csv",
          "資料來源：內政部\n縣市;人數\n臺北市;120\n臺中市;95\n臺南市;80\n", "big5")
    yield "30_zh_big5_reader_facts.csv", {
        "defect": "10", "what": "inspect --json says: Big5, ; , header on line 2, line skipped",
        "columns": ["縣市", "人數"], "rows": 3,
        "reader": {"encoding": "big5", "delimiter": ";", "header_row": 2,
                   "skipped_above": ["資料來源：內政部"], "encoding_confidence": "number"}}
    # -- mask privacy ------------------------------------------------------------------------
    _text(folder / "31_zh_customers_phone_id.csv",
          "客户,手机,身份证号\n张三,13800138000,11010519491231002X\n"
          "李四,13912345678,440524188001010014\n王五,15000000001,110101199003074477\n")
    yield "31_zh_customers_phone_id.csv", {
        "defect": "m", "what": "mainland mobiles and resident IDs",
        "columns": ["客户", "手机", "身份证号"], "rows": 3,
        "mask": {"clear_absent": ["13800138000", "13912345678", "11010519491231002X",
                                  "440524188001010014"]}}
    _text(folder / "32_de_emails_nonascii.csv",
          "name,email\nJörg Müller,jörg.müller@example.de\nRenée Faure,renée.faure@example.fr\n"
          "Ann Lee,ann.lee@example.com\n", "utf-8")
    yield "32_de_emails_nonascii.csv", {
        "defect": "m", "what": "e-mails with non-ASCII local parts",
        "columns": ["name", "email"], "rows": 3,
        # Masking keeps the first character of the local part: anything more leaks it.
        "mask": {"clear_absent": ["jörg.mü", "renée", "ann.lee@"]}}
    cards = [_luhn_complete("2014", 15), _luhn_complete("06", 18), _luhn_complete("06", 19),
             _luhn_complete("622202", 19), _luhn_complete("4111", 16)]
    _text(folder / "33_zh_bank_cards_uncommon.csv",
          "客户,银行卡号\n" + "".join(f"客户{i},{c}\n" for i, c in enumerate(cards)))
    yield "33_zh_bank_cards_uncommon.csv", {
        "defect": "m", "what": "Luhn-valid cards with uncommon prefixes and lengths",
        "columns": ["客户", "银行卡号"], "rows": 5, "mask": {"clear_absent": cards}}
    floats = ["18.3268802124461", "22.5414578932101", "19.0011223344556", "20.9988776655443"]
    _text(folder / "34_en_float_text.csv",
          "station,latitude\n" + "".join(f"S{i},{f}\n" for i, f in enumerate(floats)))
    yield "34_en_float_text.csv", {
        "defect": "m", "what": "long decimals are not card numbers",
        "columns": ["station", "latitude"], "rows": 4, "roles": {"latitude": "numeric"},
        "mask": {"kept": floats}}
    versions = ["2.2.6.2", "1.0.3.1", "4.4.0.2", "3.1.5.8"]
    _text(folder / "35_en_app_versions.csv",
          "app,current_ver,android_ver\n" + "".join(
              f"app{i},{v},4.0.3\n" for i, v in enumerate(versions)))
    yield "35_en_app_versions.csv", {
        "defect": "m", "what": "version strings are not IPv4 addresses",
        "columns": ["app", "current_ver", "android_ver"], "rows": 4, "mask": {"kept": versions}}
    _text(folder / "36_zh_gbk_staff_mask.csv",
          "员工,部门,手机\n赵敏,销售部,13700001111\n钱进,财务部,13600002222\n孙丽,人事部,13500003333\n",
          "gbk")
    yield "36_zh_gbk_staff_mask.csv", {
        "defect": "m", "what": "GBK staff table: the masked file must open in Excel without mojibake",
        "columns": ["员工", "部门", "手机"], "rows": 3,
        "mask": {"clear_absent": ["13700001111"], "kept": ["销售部", "赵敏"],
                 "readable_as": ["gb18030", "utf-8-sig"]}}


def write_corpus(folder: str | Path) -> dict[str, dict]:
    """Write every case into ``folder`` (made if needed) and its ``expected.json``; returns
    the expectations by file name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    expected = dict(_cases(folder))
    (folder / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    return expected


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.split("Usage: ")[1])
        raise SystemExit(2)
    print(f"{len(write_corpus(sys.argv[1]))} files written to {sys.argv[1]}")
