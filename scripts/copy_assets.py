#!/usr/bin/env python3
"""Copy the third-party front-end files from node_modules/ into static/vendor/ (stdlib only).

The packages and their exact versions are pinned in package.json / package-lock.json and installed with
``npm ci`` (``make assets`` does both steps). Nothing is ever loaded from a CDN: templates refer to
``{% static 'vendor/...' %}`` paths only. static/vendor/ is owned by this script and rebuilt from scratch on
every run, so files of an older package version never linger.

Layout produced (stable paths the templates rely on):

    static/vendor/bootstrap/bootstrap.min.css (+ .map)
    static/vendor/bootstrap/bootstrap.bundle.min.js (+ .map)
    static/vendor/bootstrap-icons/bootstrap-icons.min.css
    static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2, .woff
    static/vendor/htmx/htmx.min.js
    static/vendor/echarts/echarts.custom.min.js   (built, not copied: see build_echarts below)
    static/vendor/fullcalendar/core.min.js, daygrid.min.js, timegrid.min.js, list.min.js
    static/vendor/fullcalendar/locales/zh-cn.min.js   (when the core package ships it)
    static/vendor/tom-select/tom-select.complete.min.js, tom-select.bootstrap5.min.css (+ .map)

A missing source file stops the script with exit status 1 before anything is touched.

ECharts is not copied whole (1.1 MB): esbuild (pinned in devDependencies) bundles scripts/echarts-entry.js, which
imports only the charts and components the pages draw, from the pinned ``echarts`` package into
static/vendor/echarts/echarts.custom.min.js (window.echarts, as the dist file defines it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
ECHARTS_ENTRY = ROOT / "scripts" / "echarts-entry.js"
ECHARTS_BUILD = VENDOR / "echarts" / "echarts.custom.min.js"

# (source under node_modules/, destination under static/vendor/)
FILES: list[tuple[str, str]] = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    # The icon CSS loads its fonts from "fonts/…" relative to itself: keep that folder beside it.
    ("bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    # FullCalendar's browser-global bundles: core defines window.FullCalendar, the plugins attach to it,
    # so templates must load core.min.js first.
    ("@fullcalendar/core/index.global.min.js", "fullcalendar/core.min.js"),
    ("@fullcalendar/daygrid/index.global.min.js", "fullcalendar/daygrid.min.js"),
    ("@fullcalendar/timegrid/index.global.min.js", "fullcalendar/timegrid.min.js"),
    ("@fullcalendar/list/index.global.min.js", "fullcalendar/list.min.js"),
    # Search-as-you-type for big choice fields (static/js/search-select.js turns SearchSelect widgets into it).
    ("tom-select/dist/js/tom-select.complete.min.js", "tom-select/tom-select.complete.min.js"),
    ("tom-select/dist/css/tom-select.bootstrap5.min.css", "tom-select/tom-select.bootstrap5.min.css"),
]

# (source folder, destination folder, file name patterns): every match is copied; none at all is an error.
FOLDERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("bootstrap-icons/font/fonts", "bootstrap-icons/fonts", ("*.woff2", "*.woff")),
]

# Copied when present, reported when not.
OPTIONAL_FILES: list[tuple[str, str]] = [
    ("@fullcalendar/core/locales/zh-cn.global.min.js", "fullcalendar/locales/zh-cn.min.js"),
]

PACKAGES = [
    "bootstrap",
    "bootstrap-icons",
    "htmx.org",
    "echarts",
    "@fullcalendar/core",
    "@fullcalendar/daygrid",
    "@fullcalendar/timegrid",
    "@fullcalendar/list",
    "tom-select",
    "esbuild",
]

# Django's ManifestStaticFilesStorage (used by whitenoise in production) rewrites sourceMappingURL comments and
# fails collectstatic when the referenced map is absent, so a referenced map is copied along with its file.
SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=([^\s*]+)")


def fail(message: str) -> None:
    print(f"copy_assets: error: {message}", file=sys.stderr)
    sys.exit(1)


def package_version(name: str) -> str:
    try:
        return json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def referenced_map(path: Path) -> Path | None:
    """The source map a .js/.css file points to (looked for in its last 1 kB), if any and not a data: URL."""
    if path.suffix not in {".js", ".css"}:
        return None
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1024))
        match = SOURCE_MAP.search(handle.read())
    if not match or match.group(1).startswith(b"data:"):
        return None
    return path.parent / match.group(1).decode()


def plan() -> list[tuple[Path, Path]]:
    """Every (source, destination) pair to copy; stops with a list of all that is missing."""
    if not NODE_MODULES.is_dir():
        fail(f"{NODE_MODULES} does not exist; run `npm ci` first (or `make assets`).")

    pairs: list[tuple[Path, Path]] = []
    missing: list[str] = []

    def add(source: Path, destination: Path) -> None:
        pairs.append((source, destination))
        source_map = referenced_map(source)
        if source_map is not None:
            if source_map.is_file():
                pairs.append((source_map, destination.parent / source_map.name))
            else:
                missing.append(f"{source_map.relative_to(NODE_MODULES)} (source map named in {source.name})")

    for source, destination in FILES:
        if (NODE_MODULES / source).is_file():
            add(NODE_MODULES / source, VENDOR / destination)
        else:
            missing.append(source)

    for source, destination, patterns in FOLDERS:
        found = sorted({path for pattern in patterns for path in (NODE_MODULES / source).glob(pattern)})
        if not found:
            missing.append(f"{source}/{{{','.join(patterns)}}}")
        for path in found:
            add(path, VENDOR / destination / path.name)

    for source, destination in OPTIONAL_FILES:
        if (NODE_MODULES / source).is_file():
            add(NODE_MODULES / source, VENDOR / destination)
        else:
            print(f"  (optional, not shipped by this version: {source})")

    if missing:
        fail("missing in node_modules/ (is package-lock.json installed with `npm ci`?):\n  " + "\n  ".join(missing))
    return pairs


def build_echarts() -> int:
    """Bundle the custom ECharts build with esbuild; returns its size in bytes (stops the script on failure)."""
    if not ESBUILD.exists():
        fail(f"{ESBUILD} does not exist; run `npm ci` first (or `make assets`).")
    version = package_version("echarts")
    command = [
        str(ESBUILD),
        str(ECHARTS_ENTRY),
        "--bundle",
        "--minify",
        "--format=iife",
        "--target=es2017",
        "--legal-comments=none",
        # ECharts' development-only warnings are behind process.env.NODE_ENV checks: drop them.
        '--define:process.env.NODE_ENV="production"',
        f"--banner:js=/*! ECharts {version} (Apache-2.0, see node_modules/echarts/LICENSE), custom build:"
        " scripts/echarts-entry.js */",
        f"--outfile={ECHARTS_BUILD}",
        "--log-level=warning",
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0 or not ECHARTS_BUILD.is_file():
        fail(f"esbuild could not build {ECHARTS_BUILD.relative_to(ROOT)} (exit status {result.returncode}).")
    size = ECHARTS_BUILD.stat().st_size
    print(f"  {ECHARTS_ENTRY.relative_to(ROOT)} -> {ECHARTS_BUILD.relative_to(ROOT)} ({size / 1024:.1f} KiB, esbuild)")
    return size


def main() -> int:
    print("Packages: " + ", ".join(f"{name}@{package_version(name)}" for name in PACKAGES))
    pairs = plan()
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    total = 0
    for source, destination in pairs:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        size = destination.stat().st_size
        total += size
        print(f"  {source.relative_to(NODE_MODULES)} -> {destination.relative_to(ROOT)} ({size / 1024:.1f} KiB)")
    total += build_echarts()
    print(f"Copied {len(pairs)} files ({total / 1024 / 1024:.1f} MiB) into {VENDOR.relative_to(ROOT)}/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
