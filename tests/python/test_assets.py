"""The camera dashboard's files from the asset table, through Python ``requests``
against the demo over TCP: gzip, the If-None-Match round trip, ranges, HEAD."""

import gzip
import pathlib

import requests

TIMEOUT = 5
ASSETS = pathlib.Path(__file__).resolve().parents[2] / "apps" / "camera" / "assets"


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # 127.0.0.1 only: no proxies from the environment
    return s


def test_if_none_match_round_trip(base):
    with session() as s:
        first = s.get(f"{base}/static/style.css", timeout=TIMEOUT)
        assert first.status_code == 200
        assert first.headers["Content-Encoding"] == "gzip"  # requests asks for it
        assert first.content == (ASSETS / "style.css").read_bytes()
        etag = first.headers["ETag"]
        again = s.get(f"{base}/static/style.css", headers={"If-None-Match": etag}, timeout=TIMEOUT)
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["ETag"] == etag
        # A weak form of the same tag matches too (If-None-Match compares weakly).
        weak = s.get(f"{base}/static/style.css", headers={"If-None-Match": f'"x", W/{etag}'}, timeout=TIMEOUT)
        assert weak.status_code == 304
        # The tag of the gzip copy does not validate the identity copy.
        plain = s.get(
            f"{base}/static/style.css",
            headers={"If-None-Match": etag, "Accept-Encoding": "identity"},
            timeout=TIMEOUT,
        )
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
        assert plain.headers["ETag"] != etag


def test_gzip_copy_is_a_valid_gzip_member(base):
    with session() as s:
        r = s.get(f"{base}/", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=TIMEOUT)
        raw = r.raw.read(decode_content=False)
        assert r.headers["Content-Encoding"] == "gzip"
        assert int(r.headers["Content-Length"]) == len(raw)
        assert gzip.decompress(raw) == (ASSETS / "index.html").read_bytes()
        assert "Accept-Encoding" in r.headers["Vary"]


def test_range_and_head(base):
    js = (ASSETS / "app.js").read_bytes()
    with session() as s:
        # Ranges apply to the identity copy: with gzip accepted, the whole file comes.
        r = s.get(f"{base}/static/app.js", headers={"Range": "bytes=10-19"}, timeout=TIMEOUT)
        assert r.status_code == 200 and r.content == js
        r = s.get(f"{base}/static/app.js", headers={"Range": "bytes=10-19", "Accept-Encoding": "identity"}, timeout=TIMEOUT)
        assert r.status_code == 206
        assert r.content == js[10:20]
        assert r.headers["Content-Range"] == f"bytes 10-19/{len(js)}"
        r = s.get(f"{base}/static/app.js", headers={"Range": f"bytes={len(js)}-", "Accept-Encoding": "identity"}, timeout=TIMEOUT)
        assert r.status_code == 416
        assert r.headers["Content-Range"] == f"bytes */{len(js)}"
        r = s.head(f"{base}/static/app.js", headers={"Accept-Encoding": "identity"}, timeout=TIMEOUT)
        assert r.status_code == 200 and r.content == b""
        assert int(r.headers["Content-Length"]) == len(js)
        assert s.get(f"{base}/static/missing.js", timeout=TIMEOUT).status_code == 404
        assert s.post(f"{base}/static/app.js", timeout=TIMEOUT).status_code == 405


def test_if_modified_since_with_curl(base):
    """The build dated each file (its modification time, or SOURCE_DATE_EPOCH):
    ``curl -z`` gets 304 for a date no earlier than that, 200 for an earlier one."""
    import subprocess
    from email.utils import formatdate, parsedate_to_datetime

    with session() as s:
        first = s.get(f"{base}/static/app.js", timeout=TIMEOUT)
        modified = parsedate_to_datetime(first.headers["Last-Modified"]).timestamp()

    def curl_status(*args):
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", *args, f"{base}/static/app.js"],
            capture_output=True, text=True, timeout=10, check=True,
        )
        return int(out.stdout)

    assert curl_status("-z", formatdate(modified, usegmt=True)) == 304
    assert curl_status("-z", formatdate(modified + 86400, usegmt=True)) == 304
    assert curl_status("-z", formatdate(modified - 86400, usegmt=True)) == 200
    # If-None-Match wins: a stale tag gets the file even with a current date. (Sent
    # by hand: with `-z` curl would also judge the 200 by its date itself.)
    current = formatdate(modified, usegmt=True)
    assert curl_status("-H", f"If-Modified-Since: {current}", "-H", 'If-None-Match: "stale"') == 200


def test_files_larger_than_the_buffer_keep_content_length(base):
    """The dashboard's script is larger than the demo's response buffer: it is
    streamed, still framed by Content-Length, on a connection that stays open."""
    js = (ASSETS / "app.js").read_bytes()
    with session() as s:
        for _ in range(3):  # the same pooled connection each time
            r = s.get(f"{base}/static/app.js", headers={"Accept-Encoding": "identity"}, timeout=TIMEOUT)
            assert r.status_code == 200 and r.content == js
            assert r.headers["Content-Length"] == str(len(js))
            assert "Transfer-Encoding" not in r.headers and r.headers.get("Connection") != "close"
