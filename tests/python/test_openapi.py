"""The demo's OpenAPI document and its docs page.

``GET /openapi.json`` is checked by a real validator (``openapi-spec-validator``,
OpenAPI 3.1), its operations are sent to the live demo with ``requests`` to see
that the document says what the server does, and headless Chromium opens
``GET /docs`` and sends an operation from the page.
"""

import asyncio
import json
import re
import subprocess

import requests
from openapi_spec_validator import validate

from servers import find_binary
from test_browser import open_page


def document(base):
    r = requests.get(base + "/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers.get("Content-Encoding") == "gzip"  # from the asset table, compressed at build time
    return r.json()


def test_the_served_document_is_valid_openapi_3_1(base):
    doc = document(base)
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    assert doc["openapi"] == "3.1.0"
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), "operationIds are unique"


def test_the_served_document_is_what_the_binary_writes(base):
    binary = find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO")
    printed = subprocess.run([binary, "--openapi"], capture_output=True, text=True, timeout=30, check=True).stdout
    assert json.loads(printed) == document(base)


def test_the_document_matches_the_live_routes(base):
    doc = document(base)
    paths = doc["paths"]
    # A typed or wildcard capture is a path parameter.
    files = paths["/files/{path}"]["get"]["parameters"][0]
    assert (files["name"], files["in"], files["required"]) == ("path", "path", True)
    assert requests.get(base + "/files/a/b.txt", timeout=5).text == "a/b.txt"
    # Each documented status route answers with the documented shape.
    schema = paths["/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    status = requests.get(base + "/status", timeout=5).json()
    assert set(schema["required"]) <= set(status)
    assert all(isinstance(status[k], int) for k in schema["required"])
    # A body outside the documented range gets the documented 422.
    put = paths["/config"]["put"]
    assert "422" in put["responses"]
    assert requests.put(base + "/config", json={"interval_ms": 5}, timeout=5).status_code == 422
    # Operations the document does not list are not served.
    assert "delete" not in paths["/status"]
    assert requests.delete(base + "/status", timeout=5).status_code == 405


async def try_from_the_page(url):
    async with open_page(url) as page:
        count = await page.wait_for("document.getElementById('operations').dataset.count", "the operation list")
        await page.js("document.getElementById('get_status').open = true")
        await page.js("document.querySelector('[data-operation=get_status] button').click()")
        answer = await page.wait_for(
            "(e => e && e.dataset.status && e.textContent)(document.querySelector('[data-answer=get_status]'))",
            "the answer to GET /status")
        # A path parameter is filled from its input.
        await page.js("document.querySelector('[data-operation=get_files_path] input').value = 'x/y'")
        await page.js("document.querySelector('[data-operation=get_files_path] button').click()")
        echoed = await page.wait_for(
            "(e => e && e.dataset.status && e.textContent)(document.querySelector('[data-answer=get_files_path]'))",
            "the answer to GET /files/{path}")
        return int(count), answer, echoed


def test_the_docs_page_lists_and_sends_operations(base):
    count, answer, echoed = asyncio.run(try_from_the_page(base + "/docs"))
    ops = sum(len(item) for item in document(base)["paths"].values())
    assert count == ops
    status, body = answer.split("\n", 1)
    assert status.startswith("200"), answer
    assert set(json.loads(body)) >= {"frames", "triggers"}
    assert re.match(r"200 .*\nx%2Fy|200 .*\nx/y", echoed), echoed


SERVING_EXAMPLES = [
    "cam_status", "echo", "file_server", "microserver_led", "pycom_resources", "runtime_routes", "sensor_page",
    "user_resource", "ws_echo",
]


def example_document(name):
    binary = find_binary(f"examples/{name}", ["--example", name], f"FERRODOT_{name.upper()}")
    out = subprocess.run([binary, "--openapi"], capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out)


def test_every_serving_example_writes_a_valid_document():
    for name in SERVING_EXAMPLES:
        doc = example_document(name)
        validate(doc)
        assert doc["info"]["title"] == name
        assert doc["paths"], f"{name}: no paths"


def test_mpgameserver_notes_become_parameters():
    # user_resource's `GET /user/:username .header("Authorization") .param("fields")`.
    get = example_document("user_resource")["paths"]["/user/{username}"]["get"]
    where = {(p["name"], p["in"]) for p in get["parameters"]}
    assert where == {("username", "path"), ("Authorization", "header"), ("fields", "query")}


def test_runtime_routes_are_documented_too():
    # Routes registered at run time (`dynamic::Router`, mounted under /api).
    paths = example_document("runtime_routes")["paths"]
    assert any(p.startswith("/api/") for p in paths), list(paths)


def test_run_time_faces_document_what_they_serve():
    # MicroServer's paths answer GET, HEAD and POST; `/` lists them.
    ms = example_document("microserver_led")["paths"]
    assert set(ms) == {"/", "/on", "/off", "/state"} and set(ms["/on"]) == {"get", "head", "post"}
    # Pycom's resources with the methods registered on each and its media type.
    py = example_document("pycom_resources")["paths"]
    assert set(py["/resource1"]) == {"get"}
    assert set(py["/resource2"]) == {"get", "put", "post", "delete"}
    assert "text/html" in py["/resource1"]["get"]["responses"]["200"]["content"]
