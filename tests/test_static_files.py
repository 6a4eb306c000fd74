"""What a browser downloads: static files compressed, under content-hashed names, cached for a year.

A first visit to the sign-in page costs at most 30 KB on the wire (headers
included) with the encodings a browser offers; a repeat visit is one request
(every linked file is immutable), at most 5 KB.
"""
import re

from views import assets

ASSET_RE = re.compile(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"')
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd", "Accept-Language": "en"}


def wire_bytes(response):
    """Status line, headers and body as they travel (HTTP/1.1)."""
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
    return len(head.encode()) + 2 + len(response.data)


def linked_assets(html):
    return sorted(set(ASSET_RE.findall(html)))


def test_pages_link_hashed_names_served_compressed_and_immutable(client):
    page = client.get("/signin", headers=BROWSER)
    links = linked_assets(page.text)
    assert len(links) == 5  # icon, stylesheet, htmx, app.js, passkeys.js
    for url in links:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", url), url
        response = client.get(url, headers=BROWSER)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "br"
        assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert response.headers["Vary"] == "Accept-Encoding"  # not Cookie, not Accept-Language
        assert "Set-Cookie" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert gzipped.headers["Content-Encoding"] == "gzip"
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert len(response.data) < len(gzipped.data) < len(plain.data)


def test_first_visit_at_most_30_kb_and_repeat_visit_one_request_of_at_most_5_kb(client):
    page = client.get("/signin", headers=BROWSER)
    first = wire_bytes(page) + sum(wire_bytes(client.get(url, headers=BROWSER)) for url in linked_assets(page.text))
    assert first <= 30 * 1024, first
    again = client.get("/signin", headers=BROWSER)
    # Every file the page links is immutable, so the browser asks for the page only.
    assert all("immutable" in client.get(url).headers["Cache-Control"] for url in linked_assets(again.text))
    assert wire_bytes(again) <= 5 * 1024, wire_bytes(again)


def test_pages_stay_uncacheable_and_vary_on_cookie(client):
    page = client.get("/signin", headers=BROWSER)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Cookie" in page.headers["Vary"]


def test_original_names_still_served_but_revalidated(client):
    response = client.get("/static/js/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "max-age=0, public"


def test_a_changed_file_gets_a_new_name(tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    sheet = static / "css" / "app.css"
    sheet.write_text("body { color: black; }\n" * 50)
    first = assets.build(str(static), str(tmp_path / "build"))["css/app.css"]
    sheet.write_text("body { color: navy; }\n" * 50)
    second = assets.build(str(static), str(tmp_path / "build"))["css/app.css"]
    assert first != second
    for name in (first, second):
        assert (tmp_path / "build" / name).exists()
        assert (tmp_path / "build" / (name + ".br")).exists()
        assert (tmp_path / "build" / (name + ".gz")).exists()
    assert (tmp_path / "build" / first).read_text().count("black") == 50  # the old copy is kept as it was
