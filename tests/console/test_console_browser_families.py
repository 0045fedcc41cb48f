"""The console in a real browser for the families beyond tables and texts: a zip of images,
a long sales table inspected and trained as a forecast, an interactions table for a
recommender and a Chinese FAQ for an answerer. Each: upload on the Data page, read the
findings, train from the form with live progress, publish, then Try it (an image upload,
a forecast chart, a user's recommendations, an answer with its source and a hand-over).

Screenshots under ``test-artifacts/console/<test>/``; axe-core on every step; no request
may leave the machine (the ``page`` fixture). Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import re
import zipfile

import pytest
from console_browser import Steps, report_and_publish, sign_in, train, upload
from console_helpers import interactions

from bizforge.families.answer.samples import faq
from bizforge.families.forecast.samples import weekly_sales
from bizforge.families.image.samples import CLASSES, make_surface_images

pytestmark = pytest.mark.browser


def _zip(folder, archive):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.png")):
            zf.write(path, path.relative_to(folder).as_posix())
    return archive


def _answer_text(page) -> str:
    page.wait_for_selector("#answer")
    return page.inner_text("#answer")


def test_an_image_model_from_a_zip_of_class_folders(page, server, home, tmp_path):
    steps = Steps(page, "images-en")
    archive = _zip(make_surface_images(tmp_path / "parts", per_class=10, seed=1),
                   tmp_path / "parts.zip")
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, archive)
    assert page.get_by_text("Read as: image-classification").count() == 1
    assert page.get_by_text("Findings").count() >= 1
    train(page, steps, 15)
    report_and_publish(page, steps, "parts")
    page.click("a[href='/try/parts']")
    steps.shot("try-form")
    new = tmp_path / "new"
    make_surface_images(new, per_class=1, seed=7)
    page.set_input_files("form[action$='/predict'] input[type=file]",
                         str(new / "scratch" / "scratch_000.png"))
    page.click("form[action$='/predict'] button[type=submit]")
    answer = _answer_text(page)
    assert "scratch_000.png" in answer and any(c in answer for c in CLASSES), answer
    steps.shot("prediction")


def test_a_long_sales_table_inspected_and_trained_as_a_forecast(page, server, home, tmp_path):
    steps = Steps(page, "forecast-en")
    data = tmp_path / "sales.csv"
    weekly_sales(stores=3, weeks=60).to_csv(data, index=False)
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, data)
    page.select_option("#as-task", "forecast")
    page.select_option("#as-target", "sales")
    page.click("form[action^='/data/'] button[type=submit]")
    page.wait_for_url(re.compile(r"task=forecast"))
    assert page.get_by_text("Read as: forecast").count() == 1
    steps.shot("findings-as-forecast")
    train(page, steps, 15, options={"horizon": "8"})  # task and target carried over
    assert "sales · forecast" in page.inner_text("main")  # the job's target and task
    report_and_publish(page, steps, "sales")
    page.click("a[href='/try/sales']")
    series = page.locator("form[action$='/forecast'] [name='series']")
    assert series.input_value().strip() != ""  # a series the model knows, filled in
    steps.shot("try-form")
    page.click("form[action$='/forecast'] button[type=submit]")
    answer = _answer_text(page)
    assert "lo_95" in answer and "hi_95" in answer, answer
    assert page.locator("#answer figure.chart svg polyline").count() >= 1
    steps.shot("forecast-chart")


def test_recommendations_for_a_user_and_similar_items(page, server, home, tmp_path):
    steps = Steps(page, "recommend-en")
    data = tmp_path / "orders.csv"
    interactions().to_csv(data, index=False)
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, data)
    assert page.get_by_text("Read as: recommend").count() == 1
    train(page, steps, 10)
    report_and_publish(page, steps, "shop")
    page.click("a[href='/try/shop']")
    assert page.locator("form[action$='/recommend'] [name='user']").input_value() == "u0"
    steps.shot("try-form")
    page.click("form[action$='/recommend'] button[type=submit]")
    answer = _answer_text(page)
    shown = re.findall(r"\bi\d+\b", answer)
    assert shown and shown[0] in {f"i{i}" for i in range(10)}, answer  # u0's own group first
    steps.shot("recommendations")
    page.fill("form[action$='/similar'] [name='item']", "i12")
    page.click("form[action$='/similar'] button[type=submit]")
    answer = _answer_text(page)
    assert re.search(r"\bi1[0-9]\b", answer.replace("i12", "")), answer
    steps.shot("similar")


def test_a_chinese_faq_answers_with_its_source_or_hands_over(page, server, home, tmp_path):
    steps = Steps(page, "answer-zh")
    kb, queries = faq("zh")
    data, examples = tmp_path / "常见问题.csv", tmp_path / "问法.csv"
    kb.to_csv(data, index=False)
    queries.to_csv(examples, index=False)
    page.goto(server.url + "/signin")
    page.click("form[action='/lang'] button")  # 中文
    page.wait_for_selector("text=登录")
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, examples)  # the example questions, chosen as an option below
    page.goto(server.url + "/data")
    upload(page, steps, data)
    assert page.get_by_text("识别为：answer").count() == 1
    train(page, steps, 10, options={"encoder": "none", "queries": "问法.csv",
                                    "min_precision": "0.6"})
    report_and_publish(page, steps, "faq")
    page.click("a[href='/try/faq']")
    question = page.locator("form[action$='/answer'] [name='question']")
    assert question.input_value() == kb["text"].iloc[0]  # the KB's first question
    question.fill("可以用支付宝付款吗")
    steps.shot("try-form")
    page.click("form[action$='/answer'] button[type=submit]")
    answer = _answer_text(page)
    assert "支付宝" in answer and "pay" in answer, answer  # the answer and its entry
    steps.shot("answer")
    page.locator("form[action$='/answer'] [name='question']").fill("火星上今天的天气怎么样")
    page.click("form[action$='/answer'] button[type=submit]")
    answer = _answer_text(page)
    assert re.search(r"handover\s+true", answer, re.IGNORECASE), answer
    steps.shot("handover")
