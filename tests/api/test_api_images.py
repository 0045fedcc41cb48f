"""REST for a family whose requests are uploads, not rows: images, multipart and base64."""

from __future__ import annotations

import base64

import pytest

from bizforge.families.image.samples import make_surface_images
from bizforge.pipeline import train


@pytest.fixture(scope="module")
def parts_run(tmp_path_factory):
    root = make_surface_images(tmp_path_factory.mktemp("img") / "parts", per_class=8)
    out = tmp_path_factory.mktemp("img-model") / "parts"
    run = train(root, task="image-classification", time_limit=10, out=out, image_models="cnn")
    return root, run


@pytest.fixture
def image_client(registry, parts_run, make_client):
    registry.publish(parts_run[1], "parts")
    return make_client()


def test_multipart_upload_of_two_images_is_classified(image_client, headers, parts_run):
    root = parts_run[0]
    files = [("files", (p.name, p.read_bytes(), "image/png"))
             for p in sorted(root.glob("spot/*.png"))[:2]]
    r = image_client.post("/v1/models/parts/predict", files=files, headers=headers["predict"])
    assert r.status_code == 200, r.text
    assert [p["name"] for p in r.json()["predictions"]] == ["spot_000.png", "spot_001.png"]


def test_base64_json_image_is_classified(image_client, headers, parts_run):
    data = base64.b64encode((parts_run[0] / "ok" / "ok_000.png").read_bytes()).decode()
    r = image_client.post("/v1/models/parts/predict", headers=headers["predict"],
                          json={"images": [{"name": "a", "data": data}]})
    assert r.status_code == 200, r.text
    assert r.json()["predictions"][0]["label"] in {"ok", "scratch", "spot"}


def test_upload_that_is_not_an_image_is_a_422_naming_it(image_client, headers):
    r = image_client.post("/v1/models/parts/predict", headers=headers["predict"],
                          files=[("files", ("notes.png", b"plain text", "image/png"))])
    assert r.status_code == 422 and "notes.png" in r.json()["msg"]


def test_openapi_documents_the_image_request(image_client, headers):
    doc = image_client.get("/openapi.json", headers=headers["admin"]).json()
    body = doc["paths"]["/v1/models/parts/predict"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "images" in doc["components"]["schemas"][ref]["properties"]
    assert "multipart/form-data" in body
