"""End-to-end tests in a real browser: headless Debian chromium driven by Playwright.

Each test starts ``bizforge serve`` on a fresh home, signs in with a key and clicks
through the pages as a person would; every step is saved as a screenshot under
``test-artifacts/console/<test>/`` and checked with axe-core (no serious or critical
accessibility violation), and no request may leave the machine (the ``page`` fixture
aborts and reports any). The other families' flows are in
``test_console_browser_families.py``. Run them alone with ``pytest -m browser``.
"""

from __future__ import annotations

import re

import pytest
from console_browser import Steps, report_and_publish, sign_in, train, upload

from bizforge.samples import churn_table, review_table

pytestmark = pytest.mark.browser
XSS = "<script>alert(1)</script>"


def test_a_newcomer_trains_publishes_and_tries_a_churn_model(page, server, home, tmp_path):
    steps = Steps(page, "churn-en")
    data = tmp_path / "customers.csv"
    frame = churn_table(600)
    frame.to_csv(data, index=False)
    sign_in(page, steps, server.url, home[1]["admin"])  # click 1
    page.wait_for_url(re.compile(r"/data$"))
    steps.shot("data")
    upload(page, steps, data, watch_progress=True)  # clicks 2-3 (choose the file, upload)
    assert page.locator("table.findings").count() == 1
    assert page.get_by_text("Masked preview of personal data").count() == 1
    train(page, steps, 20)  # clicks 4-5: the first trained model
    report_and_publish(page, steps, "churn")
    page.click("a[href='/try/churn']")
    page.wait_for_url(re.compile(r"/try/churn$"))
    steps.shot("try-form")
    row = churn_table(1, seed=9).iloc[0]
    for column, value in row.items():
        field = page.locator(f"form[action$='/predict'] [name='{column}']")
        if field.count() == 0:
            continue
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill("" if str(value) == "nan" else str(value))
    page.click("form[action$='/predict'] button[type=submit]")
    page.wait_for_selector("#answer-label")
    assert page.inner_text("#answer-label") in ("是", "否")
    assert page.get_by_text("Probability").count() >= 1
    steps.shot("prediction")
    page.click("nav >> text=Monitor")
    assert page.locator("td", has_text="churn:1").count() == 1
    steps.shot("monitor")
    # The other pages pass the same accessibility check: models, a card, a confirmation, keys.
    page.click("nav >> text=Models")
    steps.shot("models")
    page.click("main a[href='/models/churn']")
    steps.shot("model-card")
    page.click("form[action$='/promote'] button[type=submit]")
    page.wait_for_selector("text=Please confirm")
    steps.shot("confirm")
    page.click("nav >> text=Keys")
    page.fill("#key-label", "<b>shop</b>")
    page.click("form[action='/keys'] button[type=submit]")
    assert len(page.locator("#new-key").input_value()) >= 20  # shown this once
    assert page.get_by_text("<b>shop</b>").count() == 1  # the label shows as text
    steps.shot("keys")


def test_a_text_model_in_chinese(page, server, home, tmp_path):
    steps = Steps(page, "reviews-zh")
    data = tmp_path / "reviews.csv"
    review_table(160).to_csv(data, index=False)
    page.goto(server.url + "/signin")
    page.click("form[action='/lang'] button")  # 中文, remembered in a cookie
    page.wait_for_selector("text=登录")
    sign_in(page, steps, server.url, home[1]["admin"])
    page.wait_for_url(re.compile(r"/data$"))
    assert page.get_by_role("heading", name="数据").count() == 1
    upload(page, steps, data)
    assert page.get_by_text("发现的问题").count() >= 1
    train(page, steps, 10)
    assert page.get_by_text("已完成").count() >= 1
    report_and_publish(page, steps, "reviews")
    page.click("a[href='/try/reviews']")
    page.fill("form[action$='/predict'] textarea[name='review']", "质量很好，物流也快，非常满意。")
    steps.shot("try-form")
    page.click("form[action$='/predict'] button[type=submit]")
    page.wait_for_selector("#answer-label")
    assert page.inner_text("#answer-label") in ("positive", "negative", "neutral")
    steps.shot("prediction")


def test_a_predict_key_cannot_reach_admin_pages(page, server, home):
    steps = Steps(page, "predict-key")
    sign_in(page, steps, server.url, home[1]["predict"])
    page.wait_for_url(re.compile(r"/models$"))
    steps.shot("models")
    assert page.locator("nav a[href='/data']").count() == 0
    for path in ("/data", "/train", "/keys"):
        answer = page.goto(server.url + path)
        assert answer.status == 403, path
        assert page.get_by_text("This page needs an admin key.").count() == 1
    steps.shot("refused")


def test_a_column_named_like_a_script_renders_as_text(page, server, home, tmp_path):
    steps = Steps(page, "xss")
    data = tmp_path / f"{'x'}.csv"
    frame = churn_table(60).rename(columns={"城市": XSS})
    frame[XSS] = "<img src=x onerror=alert(2)>"
    frame.to_csv(data, index=False)
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, data)
    assert page.get_by_text(XSS).count() >= 1  # shown as text
    assert page.locator("img[src=x]").count() == 0
    page.goto(server.url + "/train")
    steps.shot("train-form")
    assert page.dialogs == []


def test_a_server_restart_during_training_shows_the_job_interrupted(page, server, home,
                                                                     tmp_path):
    steps = Steps(page, "restart")
    data = tmp_path / "customers.csv"
    churn_table(2000).to_csv(data, index=False)
    sign_in(page, steps, server.url, home[1]["admin"])
    upload(page, steps, data)
    page.click("a.button[href^='/train']")
    page.fill("#time_limit", "30")
    page.click("#train-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{16}$"))
    job_url = page.url
    page.wait_for_selector(".status-running", timeout=120_000)
    steps.shot("running", axe=False)
    server.kill()
    server.start()
    sign_in(page, steps, server.url, home[1]["admin"])  # sessions end with the server
    page.goto(job_url)
    assert page.locator(".status-interrupted").count() == 1
    steps.shot("interrupted")


def test_a_request_off_this_machine_would_be_caught(page, server):
    """The guard of the ``page`` fixture works: a script asking a CDN is stopped and named."""
    from playwright.sync_api import Error

    page.goto(server.url + "/signin")
    with pytest.raises(Error):
        page.goto("https://cdn.example.com/htmx.min.js")
    assert page.outside == ["https://cdn.example.com/htmx.min.js"]
    page.expect_outside = True  # this test's request was on purpose
