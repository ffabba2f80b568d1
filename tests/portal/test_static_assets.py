"""Static files are light and cached: the site has its icons and manifest (and /favicon.ico), the committee's
dashboard ships at most 500 KB of gzip-compressed JS and CSS (a custom ECharts build with only the charts it draws),
and collectstatic writes hashed, gzip- and brotli-compressed files that WhiteNoise serves with far-future caching."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from PIL import Image
from whitenoise.middleware import WhiteNoiseMiddleware

pytestmark = pytest.mark.django_db

DASHBOARD_BUDGET = 500 * 1024
# WhiteNoise writes .br files when the Brotli package is installed (pyproject: whitenoise[brotli]), .gz always.
BROTLI = importlib.util.find_spec("brotli") is not None
ECHARTS = "vendor/echarts/echarts.custom.min.js"


class _Assets(HTMLParser):
    """The <script src> and <link rel=stylesheet|icon|manifest|apple-touch-icon href> of a page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.links: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.setdefault(attrs.get("rel", ""), []).append(attrs["href"])


def _assets(response) -> _Assets:
    assert response.status_code == 200
    parser = _Assets()
    parser.feed(response.content.decode())
    return parser


def _static_file(url: str) -> Path:
    assert url.startswith(settings.STATIC_URL) or url.startswith("/" + settings.STATIC_URL), url
    found = finders.find(url.split(settings.STATIC_URL, 1)[1])
    assert found, f"{url} is not a static file (run `make assets`)"
    return Path(found)


def test_every_page_links_the_icons_and_the_manifest(client_for, world):
    page = _assets(client_for(world.secretary1).get("/"))
    icons = {rel: [_static_file(url) for url in urls] for rel, urls in page.links.items() if rel != "stylesheet"}
    assert {"icon", "apple-touch-icon", "manifest"} <= set(icons)
    assert Image.open(icons["apple-touch-icon"][0]).size == (180, 180)
    manifest = json.loads(icons["manifest"][0].read_text(encoding="utf-8"))
    assert manifest["short_name"] == "共建" and manifest["start_url"] == "/"
    sizes = set()
    for icon in manifest["icons"]:
        path = icons["manifest"][0].parent / icon["src"]
        assert path.is_file(), icon
        if icon["type"] == "image/png":
            size = Image.open(path).size
            assert f"{size[0]}x{size[1]}" == icon["sizes"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def test_pages_are_compressed_for_browsers_that_ask(client_for, world):
    response = client_for(world.secretary1).get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    page = gzip.decompress(response.content)
    assert len(response.content) < len(page) / 2
    assert "Accept-Encoding" in response["Vary"]


def test_favicon_ico_is_served_at_the_site_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_the_dashboard_ships_at_most_500_kb_of_compressed_js_and_css(client_for, world):
    page = _assets(client_for(world.committee).get("/assessments/"))
    urls = page.scripts + page.links["stylesheet"]
    assert any(url.endswith(ECHARTS) for url in page.scripts), page.scripts
    assert not any(url.endswith("echarts.min.js") and ECHARTS not in url for url in urls)
    sizes = {url: len(gzip.compress(_static_file(url).read_bytes(), compresslevel=9)) for url in urls}
    total = sum(sizes.values())
    print(f"dashboard: {total / 1024:.0f} KiB gzip in {len(urls)} files: {sizes}")
    assert total <= DASHBOARD_BUDGET, sizes


def test_the_custom_echarts_build_holds_only_the_charts_the_dashboard_draws():
    drawn = set(
        re.findall(r'type: "(bar|line|pie|radar|heatmap|scatter|gauge|funnel|sankey|treemap)"', _dashboard_js())
    )
    assert drawn == {"bar", "line", "radar", "heatmap"}
    build = _static_file(settings.STATIC_URL + ECHARTS).read_bytes()
    full = Path(settings.BASE_DIR, "node_modules/echarts/dist/echarts.min.js")
    assert len(build) < 0.6 * full.stat().st_size
    entry = Path(settings.BASE_DIR, "scripts/echarts-entry.js").read_text(encoding="utf-8")
    for chart in drawn:
        assert {"bar": "BarChart", "line": "LineChart", "radar": "RadarChart", "heatmap": "HeatmapChart"}[
            chart
        ] in entry


def _dashboard_js() -> str:
    return Path(finders.find("js/assessment-dashboard.js")).read_text(encoding="utf-8")


def test_collectstatic_writes_hashed_compressed_files_served_with_far_future_caching(tmp_path):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages, DEBUG=False, WHITENOISE_AUTOREFRESH=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text(encoding="utf-8"))["paths"]
        hashed = manifest[ECHARTS]
        assert re.fullmatch(r"vendor/echarts/echarts\.custom\.min\.[0-9a-f]{12}\.js", hashed)
        for suffix in ("", ".gz", ".br") if BROTLI else ("", ".gz"):
            assert (tmp_path / (hashed + suffix)).is_file(), hashed + suffix
        assert (tmp_path / (manifest["css/gongjian.css"] + ".gz")).is_file()
        gzipped = (tmp_path / (hashed + ".gz")).stat().st_size
        assert gzipped < 0.5 * (tmp_path / hashed).stat().st_size

        middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
        request = RequestFactory().get(f"{settings.STATIC_URL}{hashed}", HTTP_ACCEPT_ENCODING="gzip, br")
        response = middleware(request)
        assert response.status_code == 200
        assert response["Content-Encoding"] == ("br" if BROTLI else "gzip")
        assert "immutable" in response["Cache-Control"]
        assert int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1)) >= 365 * 24 * 3600
