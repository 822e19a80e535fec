"""The README's UI screenshots: ``scripts/ui_screenshots.py`` with a real ``dagster dev`` and
headless Chromium (static embedder, small catalog; about a minute on 2 cores).

Chromium is required, not optional: without it this test fails and says how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from helio_pipeline.domains import DOMAINS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ui_screenshots.py"
GRAPH_SIZE = (1500, 800)
ASSET_SIZE = (1400, 1760)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@pytest.fixture(scope="module")
def screenshots():
    if not any(shutil.which(name) for name in CHROMIUM_NAMES):
        pytest.fail("Chromium is needed for the UI screenshots test and was not found on PATH "
                    f"(tried {', '.join(CHROMIUM_NAMES)}). Install it: `apt-get install -y chromium` on "
                    "Debian/Ubuntu (scripts/setup does it when run as root), `brew install --cask chromium` on macOS.")
    # Not under pytest's tmp dir: the embedded PostgreSQL runs as 'postgres' and must reach it (see conftest).
    base = Path(tempfile.mkdtemp(prefix="helio-ui-test-"))
    base.chmod(0o755)
    home, out = base / "home", base / "img"
    command = [sys.executable, str(SCRIPT), "--out", str(out), "--home", str(home), "--embedder", "static",
               "--products", "80", "--conversations", "30",
               "--graph-size", "x".join(map(str, GRAPH_SIZE)), "--asset-size", "x".join(map(str, ASSET_SIZE))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    yield out, home, done.stdout
    shutil.rmtree(base, ignore_errors=True)


def _image(path: Path, size: tuple[int, int]):
    from PIL import Image  # Pillow comes with fpdf2, a dependency

    assert path.exists(), f"{path} was not written"
    image = Image.open(path)
    assert image.format == "PNG" and image.size == size, (image.format, image.size)
    return image.convert("RGB")


def _assert_not_blank(image, name: str) -> None:
    """Many colours (anti-aliased text, icons) and something drawn in most parts of the picture."""
    from PIL import ImageStat

    colours = image.getcolors(maxcolors=1 << 22)
    assert len(colours) >= 500, f"{name}: only {len(colours)} distinct colours: blank or a spinner?"
    width, height = image.size
    busy = sum(ImageStat.Stat(image.crop((i * width // 4, j * height // 4, (i + 1) * width // 4,
                                          (j + 1) * height // 4)).convert("L")).stddev[0] > 5
               for i in range(4) for j in range(4))
    assert busy >= 10, f"{name}: only {busy} of 16 tiles hold anything"


def _horizontal_rules(image) -> int:
    """Horizontal lines (table row borders) across most of the right 70 % of the picture."""
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()
    xs = range(int(width * 0.3), int(width * 0.95), 2)
    lines, previous = 0, False
    for y in range(height):
        line = sum(180 <= pixels[x, y] <= 245 for x in xs) / len(xs) > 0.6
        lines += line and not previous
        previous = line
    return lines


def _page_text(path: Path) -> str:
    text = path.with_suffix(".txt")
    assert text.exists(), f"{text} was not written beside {path.name}"
    return text.read_text(encoding="utf-8")


def test_lineage_graph_shows_every_asset_materialized(screenshots):
    out, _home, _log = screenshots
    image = _image(out / "asset-lineage.png", GRAPH_SIZE)
    _assert_not_blank(image, "asset-lineage.png")
    # the page captured names every asset of every domain, each with its "Materialized" status
    text = _page_text(out / "asset-lineage.png")
    names = [f"{d}_{stage}" for d in DOMAINS for stage in ("extract", "chunks", "index")]
    assert [n for n in names if n not in text] == []
    assert text.count("Materialized") >= len(names), text[:2000]


def test_index_lineage_runs_from_its_sources(screenshots):
    """The picture is the upstream graph of products_index: its tables and prefixes, then its
    three stages, materialized."""
    from helio_pipeline.defs.assets import source_key

    out, _home, _log = screenshots
    image = _image(out / "index-lineage.png", GRAPH_SIZE)
    _assert_not_blank(image, "index-lineage.png")
    text = _page_text(out / "index-lineage.png")
    expected = [source_key(s).path[-1] for s in DOMAINS["products"].sources]
    expected += [f"products_{stage}" for stage in ("extract", "chunks", "index")]
    assert [n for n in expected if n not in text] == []
    assert text.count("Materialized") >= 3, text[:2000]


def test_index_page_shows_the_metadata_table(screenshots):
    out, _home, _log = screenshots
    image = _image(out / "index-metadata.png", ASSET_SIZE)
    _assert_not_blank(image, "index-metadata.png")
    rows = _horizontal_rules(image)
    assert rows >= 25, f"only {rows} table rows visible: the index metadata (about 30 keys) is missing"
    text = _page_text(out / "index-metadata.png")
    keys = ("collection_size", "embedded_texts", "cache_hit_rate", "estimated_usd", "protected_sources", "embedder")
    assert [k for k in keys if k not in text] == [], text[:2000]


def test_the_instance_holds_one_refresh_run_that_materialized_every_index(screenshots):
    _out, home, log = screenshots
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # the sensors started past the seeded data: the only run is the one the script launched
        assert [(r.job_name, r.status) for r in runs] == [("kb_refresh", dg.DagsterRunStatus.SUCCESS)], runs
        assert runs[0].run_id in log
        for domain in DOMAINS:
            event = instance.get_latest_materialization_event(dg.AssetKey(f"{domain}_index"))
            assert event is not None and event.run_id == runs[0].run_id, domain
            meta = {k: getattr(v, "value", v) for k, v in event.asset_materialization.metadata.items()}
            assert meta["collection"].startswith(f"helio-{domain}__"), meta["collection"]
            assert meta["chunks"] > 0 and meta["new"] == meta["chunks"] == meta["embedded_texts"], (domain, meta)


def test_dagster_dev_and_postgres_are_stopped(screenshots):
    _out, home, _log = screenshots
    assert not (home / "postgres" / "postmaster.pid").exists(), "the embedded PostgreSQL is still running"
    leftovers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(home) in text:
            leftovers.append(text[:160])
    assert not leftovers, "processes left running:\n" + "\n".join(leftovers)
