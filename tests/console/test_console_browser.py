"""End-to-end tests in a real browser: headless Debian chromium driven by Playwright.

Each test starts ``bizforge serve`` on a fresh home, signs in with a key and clicks
through the pages as a person would; every step is saved as a screenshot under
``test-artifacts/console/<test>/`` and checked with axe-core (no serious or critical
accessibility violation). Run them alone with ``pytest -m browser``.
"""

from __future__ import annotations

import re

import pytest
from console_browser import Server, Steps, need_browser

from bizforge.registry import Registry, create_key
from bizforge.samples import churn_table, review_table

pytestmark = pytest.mark.browser
XSS = "<script>alert(1)</script>"
TRAIN_TIMEOUT_MS = 400_000  # the time budget plus start-up and evaluation on a busy 2-core box


@pytest.fixture(scope="module")
def browser():
    sync_playwright = need_browser()
    from console_browser import CHROMIUM

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with Registry(home=home) as reg:
        keys = {role: create_key(role, registry=reg)[1] for role in ("admin", "predict")}
    return home, keys


@pytest.fixture
def server(home):
    srv = Server(home[0]).start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)  # a busy 2-core machine loads models slowly
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    print(f"\nscreenshots: test-artifacts/console/{request.node.name}/")
    context.close()


def _sign_in(page, steps, url, key):
    page.goto(url + "/")
    steps.shot("sign-in")
    page.fill("#key", key)
    page.click("form[action='/signin'] button[type=submit]")


def _upload(page, steps, path):
    page.set_input_files("#file", str(path))
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_url(re.compile(r"/data/[0-9a-f]{16}$"))
    steps.shot("findings")


def _train(page, steps, seconds):
    page.click("text=" + page.locator("a.button[href^='/train']").inner_text())
    page.wait_for_url(re.compile(r"/train"))
    page.fill("#time_limit", str(seconds))
    steps.shot("train-form")
    page.click("#train-form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/jobs/[0-9a-f]{16}$", page.url), page.inner_text("main")
    steps.shot("job-started", axe=False)
    # Live progress: the stage and the candidates tried fill in while it runs.
    page.wait_for_selector("#job-events li", timeout=TRAIN_TIMEOUT_MS)
    steps.shot("job-progress", axe=False)
    page.wait_for_selector("#publish-name, .status-failed, .status-cancelled",
                           timeout=TRAIN_TIMEOUT_MS)
    assert page.locator(".status-done").count() == 1, page.locator("#job").inner_text()
    steps.shot("job-done")


def _report_and_publish(page, steps, name):
    with page.context.expect_page() as opened:
        page.click("a[href$='/report']")
    report = opened.value
    report.wait_for_load_state()
    assert "<html" in report.content().lower()
    report.screenshot(path=str(steps.folder / f"{steps.n + 1:02d}-report.png"))
    steps.n += 1
    report.close()
    page.fill("#publish-name", name)
    page.click("form[action$='/publish'] button[type=submit]")
    page.wait_for_url(re.compile(r"/models/"))
    steps.shot("published")


def test_a_newcomer_trains_publishes_and_tries_a_churn_model(page, server, home, tmp_path):
    steps = Steps(page, "churn-en")
    data = tmp_path / "customers.csv"
    frame = churn_table(600)
    frame.to_csv(data, index=False)
    _sign_in(page, steps, server.url, home[1]["admin"])  # click 1
    page.wait_for_url(re.compile(r"/data$"))
    steps.shot("data")
    _upload(page, steps, data)  # clicks 2-3 (choose the file, upload)
    assert page.locator("table.findings").count() == 1
    assert page.get_by_text("Masked preview of personal data").count() == 1
    _train(page, steps, 20)  # clicks 4-5: the first trained model
    _report_and_publish(page, steps, "churn")
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


def test_a_text_model_in_chinese(page, server, home, tmp_path):
    steps = Steps(page, "reviews-zh")
    data = tmp_path / "reviews.csv"
    review_table(160).to_csv(data, index=False)
    page.goto(server.url + "/signin")
    page.click("form[action='/lang'] button")  # 中文, remembered in a cookie
    page.wait_for_selector("text=登录")
    _sign_in(page, steps, server.url, home[1]["admin"])
    page.wait_for_url(re.compile(r"/data$"))
    assert page.get_by_role("heading", name="数据").count() == 1
    _upload(page, steps, data)
    assert page.get_by_text("发现的问题").count() >= 1
    _train(page, steps, 10)
    assert page.get_by_text("已完成").count() >= 1
    _report_and_publish(page, steps, "reviews")
    page.click("a[href='/try/reviews']")
    page.fill("form[action$='/predict'] textarea[name='review']", "质量很好，物流也快，非常满意。")
    steps.shot("try-form")
    page.click("form[action$='/predict'] button[type=submit]")
    page.wait_for_selector("#answer-label")
    assert page.inner_text("#answer-label") in ("positive", "negative", "neutral")
    steps.shot("prediction")


def test_a_predict_key_cannot_reach_admin_pages(page, server, home):
    steps = Steps(page, "predict-key")
    _sign_in(page, steps, server.url, home[1]["predict"])
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
    _sign_in(page, steps, server.url, home[1]["admin"])
    _upload(page, steps, data)
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
    _sign_in(page, steps, server.url, home[1]["admin"])
    _upload(page, steps, data)
    page.click("a.button[href^='/train']")
    page.fill("#time_limit", "30")
    page.click("#train-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{16}$"))
    job_url = page.url
    page.wait_for_selector(".status-running", timeout=120_000)
    steps.shot("running", axe=False)
    server.kill()
    server.start()
    _sign_in(page, steps, server.url, home[1]["admin"])  # sessions end with the server
    page.goto(job_url)
    assert page.locator(".status-interrupted").count() == 1
    steps.shot("interrupted")
