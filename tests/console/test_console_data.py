"""The Data page: upload (size limit, encodings), findings with fixes, masked preview;
every user-supplied string is escaped; the Train form is built from the families."""

from __future__ import annotations

import io
import re

import pandas as pd
from console_helpers import FAKE_WORKER, csrf_of, sign_in

from bizforge.samples import CHURN_TARGET, churn_table

XSS = "<script>alert(1)</script>"


def _upload(client, name, content):
    csrf = csrf_of(client.get("/data").text)
    return client.post("/data", data={"csrf": csrf}, files={"file": (name, content, "text/csv")})


def test_upload_shows_findings_with_fixes_and_a_masked_preview(admin):
    frame = churn_table(60, seed=3)
    answer = _upload(admin, "customers.csv", frame.to_csv(index=False).encode())
    assert answer.status_code == 200 and answer.url.path.startswith("/data/")
    page = answer.text
    assert "Findings" in page and "Fix" in page
    assert "personal data" in page  # the phone column's finding
    phone = str(frame["手机号"].iloc[0])
    assert phone not in page  # the preview masks it
    assert phone[:3] + "****" + phone[-4:] in page
    assert "customers.csv" in admin.get("/data").text


def test_user_strings_render_as_text(admin):
    frame = pd.DataFrame({XSS: ["<b>x</b>", "y"] * 10, "n": range(20)})
    answer = _upload(admin, f"{XSS}.csv", frame.to_csv(index=False).encode())
    assert answer.status_code == 200
    assert XSS not in answer.text and "<b>x</b>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert XSS not in admin.get("/data").text
    train = admin.get("/train").text
    assert XSS not in train and "&lt;script&gt;" in train


def test_a_gbk_csv_is_read(admin):
    frame = pd.DataFrame({"城市": ["北京", "上海", "广州"] * 10, "金额": range(30)})
    answer = _upload(admin, "gbk.csv", frame.to_csv(index=False).encode("gbk"))
    assert answer.status_code == 200
    assert "北京" in answer.text and "金额" in answer.text


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(make_client, keys):
    client = make_client(worker=FAKE_WORKER, max_upload_bytes=1000)
    sign_in(client, keys["admin"])
    answer = _upload(client, "big.csv", b"a,b\n" + b"1,2\n" * 2000)
    assert answer.status_code == 413
    assert "at most" in answer.text
    console = client.app.state.console
    assert not any(console.uploads.glob("*/big.csv"))


def test_an_upload_without_the_token_is_refused(admin):
    answer = admin.post("/data", files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")})
    assert answer.status_code == 403
    assert not any(admin.app.state.console.uploads.glob("*/a.csv"))


def test_the_train_form_defaults_the_target_and_offers_the_families_options(admin):
    _upload(admin, "customers.csv", churn_table(60).to_csv(index=False).encode())
    page = admin.get("/train").text
    assert re.search(rf'<option value="{CHURN_TARGET}" selected>', page)
    assert 'name="opt.cost_fp"' in page and 'name="opt.cost_fn"' in page  # business costs
    assert '<option value="auto" selected>' in page and "text-classification" in page
    assert 'name="opt.candidates"' not in page  # Python-only options stay out


def test_a_bad_option_is_refused_before_queueing(admin):
    _upload(admin, "customers.csv", churn_table(60).to_csv(index=False).encode())
    page = admin.get("/train").text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page).group(1)
    answer = admin.post("/train", data={"csrf": csrf_of(page), "upload": upload,
                                        "target": CHURN_TARGET, "task": "auto",
                                        "time_limit": "5", "opt.cost_fp": "cheap"})
    assert answer.status_code == 422
    assert "cost_fp" in answer.text
    assert admin.app.state.console.jobs.list() == []


def test_start_training_queues_a_job_with_the_form_values(admin):
    _upload(admin, "customers.csv", churn_table(60).to_csv(index=False).encode())
    page = admin.get("/train").text
    upload = re.search(r'name="upload" value="([0-9a-f]+)"', page).group(1)
    admin.app.state.console.jobs.stop()  # keep it queued: look at the spec only
    answer = admin.post("/train", data={"csrf": csrf_of(page), "upload": upload,
                                        "target": CHURN_TARGET, "task": "tabular-classification",
                                        "time_limit": "20", "opt.cost_fp": "10",
                                        "opt.cost_fn": "200"})
    assert answer.url.path.startswith("/jobs/")
    job = admin.app.state.console.jobs.list()[0]
    assert job["spec"]["options"] == {"cost_fp": 10.0, "cost_fn": 200.0}
    assert job["spec"]["time_limit"] == 20.0 and job["spec"]["target"] == CHURN_TARGET


def test_excel_and_parquet_uploads_are_inspected(admin):
    frame = pd.DataFrame({"a": range(30), "b": ["x", "y", "z"] * 10})
    for name, write in (("t.xlsx", lambda b: frame.to_excel(b, index=False)),
                        ("t.parquet", lambda b: frame.to_parquet(b))):
        buffer = io.BytesIO()
        write(buffer)
        csrf = csrf_of(admin.get("/data").text)
        answer = admin.post("/data", data={"csrf": csrf},
                            files={"file": (name, buffer.getvalue(), "application/octet-stream")})
        assert answer.status_code == 200, name
        assert "30 rows" in answer.text, name


def test_a_zip_of_images_is_inspected_by_its_family(admin):
    import zipfile

    from PIL import Image

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, colour in (("ok", (200, 200, 200)), ("scratch", (30, 30, 30))):
            for i in range(4):
                image = io.BytesIO()
                Image.new("RGB", (16, 16), (colour[0], i * 40, colour[2])).save(image, "PNG")
                archive.writestr(f"{label}/{i}.png", image.getvalue())
    csrf = csrf_of(admin.get("/data").text)
    answer = admin.post("/data", data={"csrf": csrf},
                        files={"file": ("parts.zip", buffer.getvalue(), "application/zip")})
    assert answer.status_code == 200
    assert "image-classification" in answer.text and "fewer than 10" in answer.text
