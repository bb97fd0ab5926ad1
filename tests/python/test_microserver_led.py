"""MicroServer apps (seed 001) through the microserver_led example, with
Python ``requests`` over TCP on 127.0.0.1: the ``LED`` server and the
server without a name (the seed's ``server_two``) that the same program
runs on a second port.
"""

import time

import requests

TIMEOUT = 5


def get(url):
    r = requests.get(url, timeout=TIMEOUT)
    assert r.headers["Content-Type"] == "application/json"
    return r


def test_root_lists_name_and_routes(led):
    r = get(led.url + "/")
    assert r.status_code == 200
    # The seed's bytes: wrapped in "data", sorted, json.dumps separators.
    assert r.content == b'{"data": {"name": "LED", "routes": ["/", "/off", "/on", "/state"]}}'


def test_routes_wrap_their_value_in_data(led):
    r = get(led.url + "/on")
    assert (r.status_code, r.json()) == (200, {"data": None})
    r = get(led.url + "/state")
    assert (r.status_code, r.json()) == (200, {"data": {"name": "LED", "status": "on"}})


def test_nowait_route_answers_at_once_and_acts_in_the_background(led):
    assert get(led.url + "/on").json() == {"data": None}
    r = get(led.url + "/off")
    assert (r.status_code, r.json()) == (200, {"data": None})
    # The action runs on its own thread: wait (bounded) for its effect.
    deadline = time.monotonic() + 5
    while get(led.url + "/state").json()["data"]["status"] != "off":
        assert time.monotonic() < deadline, "the nowait action never ran"
        time.sleep(0.02)


def test_unknown_route_is_404_error(led):
    r = get(led.url + "/blink")
    assert r.status_code == 404
    assert r.content == b'{"error": "Route is not defined"}'


def test_query_string_is_ignored_when_routing(led):
    """The seed answers 404 to /on?x=1; ferrodot routes on the path."""
    r = get(led.url + "/state?verbose=1")
    assert r.status_code == 200 and r.json()["data"]["name"] == "LED"


def test_other_methods_are_405_with_allow(led):
    r = requests.put(led.url + "/on", data=b"x", timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert r.json() == {"error": "Method is not allowed"}
    r = requests.post(led.url + "/state", timeout=TIMEOUT)
    assert r.status_code == 200 and "status" in r.json()["data"]


def test_second_server_without_a_name_on_its_own_port(led):
    assert led.info_url != led.url
    r = get(led.info_url + "/")
    assert r.json() == {"data": {"name": "", "routes": ["/", "/uptime"]}}
    r = get(led.info_url + "/uptime")
    assert r.status_code == 200 and isinstance(r.json()["data"], int)
    # Each server has its own routes.
    assert get(led.info_url + "/on").status_code == 404
    assert get(led.url + "/uptime").status_code == 404


def test_led_server_logs_each_request_like_the_seed(led):
    # The banner lines are read by the fixture; then the seed's start line.
    port = led.port
    get(led.url + "/state?x=1")
    # Earlier tests of this module logged requests too: read up to this one.
    expected = f"GET /state on :{port} from 127.0.0.1"
    for _ in range(100):
        line = led.next_line()
        if line == expected:
            break
        assert line.startswith("Server running on port") or " on :" in line, line
    else:
        raise AssertionError(f"no log line {expected!r}")
