#!/usr/bin/env python
"""Screenshots of the Dagster UI for the README: the asset lineage and an index asset's metadata.

    .venv/bin/python scripts/ui_screenshots.py [--out docs/img] [--embedder static|local]
        [--products 300] [--conversations 320] [--home DIR] [--port N] [--chromium PATH]

Steps (each prints a line; a failure names its step and exits 1):

1. A fresh, temporary DAGSTER_HOME with a copy of ``dagster_home/dagster.yaml`` (removed at the
   end when all went well), or ``--home DIR`` (kept). The repository's ``dagster_home/`` is never
   touched, and ``HELIO_DATABASE_URL``, ``HELIO_S3_URL`` and ``HELIO_QDRANT_URL`` are ignored: the
   whole stack is the embedded one inside that home.
2. Starts the embedded PostgreSQL there and seeds the demo data (``helio seed``).
3. Moves the two sensors' cursors past the seeded data (``dagster sensor cursor``): otherwise
   ``dagster dev`` would re-sync the seeding backlog in six extra runs and the pictures would
   show those, not the full refresh.
4. Starts ``dagster dev -h 127.0.0.1 -p PORT`` (``workspace.yaml``) in its own session and waits
   until the webserver answers and the code location is loaded.
5. Launches the ``kb_refresh`` job through the webserver's GraphQL API (the runs go through the
   instance's queue and daemon like any other, and land in that instance's storage) and waits
   for it; then checks that the four ``<domain>_index`` assets were materialized by that run.
6. Drives headless Chromium over the DevTools protocol (no browser download, no extra Python
   package: a small websocket client is below), waits until the page shows the loaded data
   (asset names, materialization status, metadata keys) and no longer changes, and writes:

   - ``asset-lineage.png``: ``/asset-groups`` (global asset lineage), all four groups expanded,
     top to bottom: sources (Postgres, S3) → extract → chunks → index (Qdrant);
   - ``index-lineage.png``: ``/assets/<asset>?view=lineage&lineageScope=upstream``, the
     ``--asset``'s own lineage from the tables and object prefixes it reads to its collection;
   - ``index-metadata.png``: ``/assets/<asset>?view=events&time=...``, the metadata of the
     ``--asset`` (default ``products_index``) materialization made by that run.
7. Stops Chromium, ``dagster dev`` (its whole process group, run workers included) and the
   PostgreSQL server it started.

Needs Chromium (``apt-get install -y chromium``; ``scripts/setup`` installs it when run as root)
and the PostgreSQL server binaries. Run it from the repository's virtualenv. On 2 cores: about a
minute with the static embedder and 300 products; the README's images, made with the real model
at the demo's size (``--embedder local --products 2000``), took 7 minutes, 6 of them in the run.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOCATION = "helio_pipeline"
JOB = "kb_refresh"
from helio_pipeline.domains import DOMAINS  # noqa: E402 - after the sys.path line above
STAGES = ("extract", "chunks", "index")
SENSORS = ("catalog_change_sensor", "object_drop_sensor")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_HINT = ("install it with `apt-get install -y chromium` (Debian/Ubuntu; scripts/setup does it when run "
                 "as root) or `brew install --cask chromium` (macOS), or pass --chromium PATH")
# metadata keys that must be on screen in the index page (the ones the README talks about)
METADATA_KEYS = ("collection", "new", "changed", "unchanged", "deleted", "embedded_texts", "cache_hits",
                 "estimated_usd")


class StepFailed(Exception):
    """A step failed; the message says which and why."""


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"{time.monotonic() - STARTED:5.0f}s {message}", flush=True)


# --------------------------------------------------------------------------- processes


def find_chromium(explicit: str | None) -> str:
    if explicit:
        if shutil.which(explicit):
            return shutil.which(explicit)
        raise StepFailed(f"--chromium {explicit!r} is not an executable; {CHROMIUM_HINT}")
    for name in CHROMIUM_NAMES:
        if shutil.which(name):
            return shutil.which(name)
    raise StepFailed(f"Chromium was not found on PATH (tried {', '.join(CHROMIUM_NAMES)}): {CHROMIUM_HINT}")


def free_port() -> int:
    from helio_pipeline.lib.pg_embedded import find_free_port

    return find_free_port(start=20000 + os.getpid() % 5000, end=32000)  # below the ephemeral range


def stop_group(proc: subprocess.Popen | None, name: str, timeout: float = 30) -> None:
    """SIGTERM the process group started with ``start_new_session=True``, SIGKILL what is left."""
    if proc is None or proc.poll() is not None and not _group_alive(proc.pid):
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(proc.pid):
                return
            time.sleep(0.2)
        if sig == signal.SIGTERM:
            log(f"      {name} did not stop within {timeout:.0f} s; killing its process group")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # members that are zombies (exited, not yet reaped by their parent) count as gone
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return not Path("/proc").is_dir()


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- GraphQL


def graphql(port: int, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.load(response)
    if payload.get("errors"):
        raise StepFailed(f"GraphQL error: {payload['errors'][0].get('message')}")
    return payload["data"]


def wait_for_webserver(port: int, dev: subprocess.Popen, dev_log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if dev.poll() is not None:
            raise StepFailed(f"dagster dev exited with status {dev.returncode}; its log:\n{tail(dev_log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise StepFailed(f"the webserver did not answer on 127.0.0.1:{port} within {timeout:.0f} s; "
                             f"dagster dev's log:\n{tail(dev_log)}")
        time.sleep(0.5)
    query = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
                 locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
    while True:
        data = graphql(port, query)["workspaceOrError"]
        entries = {e["name"]: e for e in data.get("locationEntries", [])}
        entry = entries.get(LOCATION)
        if entry and entry["loadStatus"] == "LOADED":
            loaded = entry["locationOrLoadError"] or {}
            if loaded.get("__typename") == "PythonError":
                raise StepFailed(f"the code location {LOCATION} failed to load:\n{loaded['message']}")
            return
        if time.monotonic() > deadline:
            raise StepFailed(f"the code location {LOCATION} did not load within {timeout:.0f} s; "
                             f"dagster dev's log:\n{tail(dev_log)}")
        time.sleep(0.5)


def launch_job(port: int) -> str:
    mutation = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
        __typename ... on LaunchRunSuccess { run { runId } } ... on Error { message }
        ... on RunConfigValidationInvalid { errors { message } } } }"""
    params = {"selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": JOB},
              "runConfigData": {}}
    result = graphql(port, mutation, {"params": params})["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        detail = result.get("message") or "; ".join(e["message"] for e in result.get("errors", []))
        raise StepFailed(f"launching {JOB} failed ({result['__typename']}): {detail}")
    return result["run"]["runId"]


RUN_STATES = {"QUEUED": "queued", "STARTING": "starting", "STARTED": "running"}


def wait_for_run(port: int, run_id: str, dev: subprocess.Popen, dev_log: Path, timeout: float) -> None:
    query = """query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status
                 stepStats { stepKey status } } } }"""
    started = time.monotonic()
    last_report, status = 0.0, None
    while True:
        if dev.poll() is not None:
            raise StepFailed(f"dagster dev exited with status {dev.returncode} during the run; its log:\n"
                             f"{tail(dev_log)}")
        run = graphql(port, query, {"id": run_id})["runOrError"]
        status = run.get("status")
        elapsed = time.monotonic() - started
        if status == "SUCCESS":
            return
        if status in ("FAILURE", "CANCELED"):
            raise StepFailed(f"run {run_id} ended {status} after {elapsed:.0f} s; dagster dev's log:\n"
                             f"{tail(dev_log, 60)}")
        if elapsed > timeout:
            raise StepFailed(f"run {run_id} still {status} after {timeout:.0f} s (--run-timeout)")
        if elapsed - last_report >= 20:
            steps = run.get("stepStats") or []
            done = [st["stepKey"] for st in steps if st["status"] == "SUCCESS"]
            running = [st["stepKey"] for st in steps if st["status"] == "IN_PROGRESS"]
            log(f"      {RUN_STATES.get(status, status)} {elapsed:.0f} s: {len(done)} steps done"
                + (f", running {', '.join(running)}" if running else ""))
            last_report = elapsed
        time.sleep(1)


def index_materializations(port: int, run_id: str) -> dict[str, dict]:
    """{asset: {"timestamp": ms string, "metadata": {label: value}}} of each index asset's latest
    materialization; fails unless every one was made by ``run_id``."""
    query = """query Latest($key: AssetKeyInput!) { assetOrError(assetKey: $key) { __typename
        ... on Asset { assetMaterializations(limit: 1) { runId timestamp metadataEntries { label
            ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
            ... on TextMetadataEntry { text } ... on BoolMetadataEntry { boolValue } } } } } }"""
    found = {}
    for domain in DOMAINS:
        asset = f"{domain}_index"
        node = graphql(port, query, {"key": {"path": [asset]}})["assetOrError"]
        events = node.get("assetMaterializations") or []
        if not events:
            raise StepFailed(f"{asset} has no materialization in the instance")
        if events[0]["runId"] != run_id:
            raise StepFailed(f"the latest materialization of {asset} is from run {events[0]['runId']}, not {run_id}")
        meta = {}
        for entry in events[0]["metadataEntries"]:
            values = [v for k, v in entry.items() if k != "label"]
            meta[entry["label"]] = values[0] if values else None
        found[asset] = {"timestamp": events[0]["timestamp"], "metadata": meta}
    return found


# --------------------------------------------------------------------------- Chromium (DevTools protocol)


class WebSocket:
    """The client side of RFC 6455, just enough for the DevTools protocol (text frames)."""

    def __init__(self, url: str, timeout: float = 60):
        if not url.startswith("ws://"):
            raise ValueError(url)
        hostport, _, path = url[len("ws://"):].partition("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the browser closed the connection during the websocket handshake")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"websocket handshake refused: {status.decode(errors='replace')}")

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(1 << 16, n - len(self.buffer)))
            if not chunk:
                raise ConnectionError("the browser closed the websocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        n = len(payload)
        if n < 126:
            header = struct.pack(">BB", 0x81, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack(">BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack(">BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))  # clients must mask
        self.sock.sendall(header + mask + masked)

    def receive(self) -> str:
        parts = []
        while True:
            first, second = self._read(2)
            opcode, n = first & 0x0F, second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
            if opcode == 0x8:
                raise ConnectionError("the browser closed the websocket")
            if opcode in (0x9, 0xA):  # ping / pong
                continue
            parts.append(data)
            if first & 0x80:  # FIN
                return b"".join(parts).decode()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Browser:
    """Headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, executable: str, width: int, height: int, workdir: Path):
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=workdir))
        self.log = workdir / "chromium.log"
        self._log_file = self.log.open("wb")
        from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

        self.proc = spawn(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--disable-background-networking", "--no-first-run", "--disable-extensions",
             "--mute-audio", "--lang=en-US", "--force-device-scale-factor=1", f"--window-size={width},{height}",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.ws = None
        self.next_id = 0
        try:
            self._connect(executable)
        except BaseException:
            self.close()
            raise

    def _connect(self, executable: str) -> None:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise StepFailed(f"Chromium did not start ({executable}); its output:\n{tail(self.log)}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            pages = [t for t in json.load(response) if t.get("type") == "page"]
        if not pages:
            raise StepFailed("Chromium started without a page to drive")
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise StepFailed(f"Chromium: {method} failed: {message['error'].get('message')}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise StepFailed(f"Chromium: script failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def open(self, url: str, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)

    def wait_until(self, expression: str, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                text = (self.evaluate("document.body ? document.body.innerText : ''") or "")[:1500]
                raise StepFailed(f"the page never showed {what} within {timeout:.0f} s; its text:\n{text}")
            time.sleep(0.5)

    def screenshot_when_still(self, path: Path, timeout: float = 20) -> None:
        """Capture until two captures a second apart are identical (animations, late data done)."""
        deadline = time.monotonic() + timeout
        previous = None
        while True:
            png = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
            if png == previous or time.monotonic() > deadline:
                break
            previous = png
            time.sleep(1)
        path.write_bytes(png)
        # what the page said when it was captured, beside the picture (the tests read it)
        path.with_suffix(".txt").write_text(self.evaluate("document.body ? document.body.innerText : ''") or "",
                                            encoding="utf-8")

    def close(self) -> None:
        if self.ws:
            self.ws.close()
        stop_group(self.proc, "Chromium", timeout=5)
        self._log_file.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise StepFailed(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


# UI settings (the webapp keeps them in localStorage as JSON)
UI_SETTINGS = {
    # the lineage graph top to bottom: one column per domain, sources at the top, the collection at the bottom
    "asset-graph-direction": "vertical",
    # what each node shows: its description ("Rows of ... from PostgreSQL and S3" ... "The helio-products
    # Qdrant collection"), its kinds (S3, Postgres ... qdrant), checks and status; not the empty rows
    # (partitions, automation) nor the latest event twice
    "asset-node-facets": ["description", "kind-tag", "checks", "status"],
    "dagster-nav-collapsed": True,  # the left navigation as icons: more room for the pictures
}
# JavaScript run in the page
NO_SPINNER = ("!document.querySelector('[class*=\"Spinner\"], [class*=\"spinner\"], [role=\"progressbar\"]')")


# the last row of the metadata table ends inside the window
LAST_ROW_VISIBLE = ("(() => { const rows = Array.from(document.querySelectorAll('tr')); if (!rows.length) return false; "
                    "return rows[rows.length - 1].getBoundingClientRect().bottom <= window.innerHeight; })()")


def _includes_all(words) -> str:
    return "(() => { const t = document.body ? document.body.innerText : ''; return " + \
        " && ".join(f"t.includes({json.dumps(w)})" for w in words) + "; })()"


def take_screenshots(chromium: str, port: int, out: Path, run_id: str, asset: str, timestamp: str,
                     graph_size: tuple[int, int], asset_size: tuple[int, int], workdir: Path,
                     timeout: float) -> list[Path]:
    from helio_pipeline.defs.assets import source_key
    from helio_pipeline.domains import DOMAINS as REGISTRY

    base = f"http://127.0.0.1:{port}"
    graphql(port, "mutation { setNuxSeen }")  # no "join the community" dialog over the pictures
    browser = Browser(chromium, *graph_size, workdir)
    try:
        browser.open(f"{base}/server_info", *graph_size)
        browser.wait_until("document.readyState === 'complete'", "the server info", timeout)
        for key, value in UI_SETTINGS.items():  # what a user would pick in the UI, kept in localStorage
            browser.evaluate(f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(value))})")

        expanded = ",".join(f"global@global:{d}" for d in sorted(DOMAINS))
        lineage = out / "asset-lineage.png"
        browser.open(f"{base}/asset-groups?{urllib.parse.urlencode({'expanded': expanded})}", *graph_size)
        names = [f"{d}_{s}" for d in DOMAINS for s in STAGES]
        materialized = f"(document.body.innerText.split('Materialized').length - 1 >= {len(names)})"
        browser.wait_until(f"{_includes_all(names)} && {materialized} && {NO_SPINNER}",
                           f"all {len(names)} assets materialized in the lineage graph", timeout)
        browser.screenshot_when_still(lineage)

        upstream = out / "index-lineage.png"
        domain = asset.rsplit("_", 1)[0]
        sources = [source_key(source).path[-1] for source in REGISTRY[domain].sources]
        query = urllib.parse.urlencode({"view": "lineage", "lineageScope": "upstream", "lineageDepth": 5})
        browser.open(f"{base}/assets/{asset}?{query}", *graph_size)
        browser.wait_until(f"{_includes_all(sources + [f'{domain}_{s}' for s in STAGES])} && {NO_SPINNER}",
                           f"the upstream lineage of {asset} ({', '.join(sources)})", timeout)
        browser.screenshot_when_still(upstream)

        metadata = out / "index-metadata.png"
        query = urllib.parse.urlencode({"view": "events", "time": timestamp})
        browser.open(f"{base}/assets/{asset}?{query}", *asset_size)
        browser.wait_until(f"{_includes_all(['Materialized in run', run_id[:8], *METADATA_KEYS])} && {NO_SPINNER}",
                           f"the metadata of {asset} from run {run_id[:8]}", timeout)
        browser.screenshot_when_still(metadata)
        if not browser.evaluate(LAST_ROW_VISIBLE):
            log(f"      warning: the metadata table of {asset} goes past the bottom of {metadata.name}; "
                "a taller --asset-size shows all of it")
    finally:
        browser.close()
    for path, size in ((lineage, graph_size), (upstream, graph_size), (metadata, asset_size)):
        if png_size(path) != size:
            raise StepFailed(f"{path} is {png_size(path)}, not the requested {size}")
    return [lineage, upstream, metadata]


# --------------------------------------------------------------------------- main


def sensor_cursors(home: Path) -> dict[str, str]:
    """What each sensor's cursor would be after handling everything seeded so far."""
    import sqlalchemy as sa

    from helio_pipeline import settings
    from helio_pipeline.lib.changes import encode_etags, scan_drops
    from helio_pipeline.lib.db import make_engine
    from helio_pipeline.lib.objectstore import open_object_store
    from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

    engine = make_engine(EmbeddedPostgres(settings.embedded_postgres_dir(), pg_bin=settings.load().pg_bin).start())
    try:
        with engine.connect() as conn:
            last_change = conn.execute(sa.text("SELECT coalesce(max(change_id), 0) FROM kb_change_log")).scalar()
    finally:
        engine.dispose()
    objects = open_object_store(settings.default_object_store_url())
    return {"catalog_change_sensor": str(last_change),
            "object_drop_sensor": encode_etags(scan_drops(objects, {}).etags)}


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use WIDTHxHEIGHT, e.g. 1920x1080") from None
    if not (320 <= width <= 8000 and 240 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be between 320/240 and 8000")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNGs (docs/img)")
    parser.add_argument("--home", type=Path, help="DAGSTER_HOME to use and keep (default: a fresh temporary one)")
    parser.add_argument("--embedder", choices=["static", "local"], default="static",
                        help="static: fast 64-d test model; local: the real offline model (slower)")
    parser.add_argument("--products", default="300", help="about N products from the CEC tables, or 'all'")
    parser.add_argument("--conversations", type=int, default=320, help="demo conversations to seed")
    parser.add_argument("--asset", default="products_index", help="the index asset whose metadata is shown")
    parser.add_argument("--graph-size", type=parse_size, default=(1600, 820), metavar="WxH",
                        help="browser window for the lineage graph (default 1600x820: the whole graph, unscaled)")
    parser.add_argument("--asset-size", type=parse_size, default=(1400, 1760), metavar="WxH",
                        help="browser window for the asset's metadata (default 1400x1760: the whole table)")
    parser.add_argument("--port", type=int, default=0, help="webserver port (default: a free one)")
    parser.add_argument("--chromium", help="Chromium executable (default: chromium on PATH)")
    parser.add_argument("--run-timeout", type=float, default=1200, help="seconds to wait for the refresh run")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds to wait for the webserver, and for each page to load")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.asset not in {f"{d}_index" for d in DOMAINS}:
        print(f"ui_screenshots: --asset must be one of {', '.join(f'{d}_index' for d in DOMAINS)}", file=sys.stderr)
        return 2
    temporary = args.home is None
    home = None if temporary else args.home.resolve()
    out = args.out.resolve()
    step = "setup"
    dev = pg = None
    ok = False

    def terminate(signum, _frame):
        raise SystemExit(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    try:
        step = "find Chromium"
        chromium = find_chromium(args.chromium)

        step = "prepare DAGSTER_HOME"
        home = home or Path(tempfile.mkdtemp(prefix="helio-ui-"))
        home.mkdir(parents=True, exist_ok=True)
        if temporary:
            home.chmod(0o755)  # the embedded PostgreSQL runs as 'postgres' when we are root
        if not (home / "dagster.yaml").exists():
            shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        for name in ("HELIO_DATABASE_URL", "HELIO_S3_URL", "HELIO_QDRANT_URL", "HELIO_EMBEDDED_STORE"):
            os.environ.pop(name, None)  # the embedded stack inside this home, never a real service
        os.environ.update(DAGSTER_HOME=str(home), HELIO_EMBEDDER=args.embedder,
                          PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
        out.mkdir(parents=True, exist_ok=True)
        log(f"[1/6] DAGSTER_HOME={home} ({'temporary' if temporary else 'kept'}), embedder {args.embedder}")

        step = "start PostgreSQL and seed the demo data"
        from helio_pipeline import settings
        from helio_pipeline.lib.pg_embedded import EmbeddedPostgres

        pg = EmbeddedPostgres(home / "postgres", fast=temporary, pg_bin=settings.load().pg_bin)
        pg.start()
        log(f"[2/6] PostgreSQL on 127.0.0.1:{pg.port}; seeding {args.products} products ...")
        seeded = subprocess.run([sys.executable, "-m", "helio_pipeline.cli", "seed", "--products", str(args.products),
                                 "--conversations", str(args.conversations)], cwd=ROOT, capture_output=True, text=True)
        if seeded.returncode != 0:
            raise StepFailed(f"helio seed failed ({seeded.returncode}):\n{seeded.stdout}{seeded.stderr}")
        counts = json.loads(seeded.stdout)
        log("      " + ", ".join(f"{k}={v}" for k, v in counts.items()))

        step = "move the sensor cursors past the seeded data"
        dagster = str(Path(sys.executable).with_name("dagster"))
        if not os.access(dagster, os.X_OK):
            dagster = shutil.which("dagster") or "dagster"
        cursors = sensor_cursors(home)
        import dagster as dg

        dg.DagsterInstance.get().dispose()  # creates the instance's storage once, not in two processes at a time
        from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

        setters = [spawn([dagster, "sensor", "cursor", name, "--set", value, "-w", "workspace.yaml"],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                   for name, value in cursors.items()]
        for name, setter in zip(cursors, setters):
            output, _ = setter.communicate(timeout=120)
            if setter.returncode != 0:
                raise StepFailed(f"dagster sensor cursor {name} failed:\n{output}")
        log(f"[3/6] sensor cursors set: catalog_change_sensor after change {cursors['catalog_change_sensor']}, "
            f"object_drop_sensor at {len(json.loads(cursors['object_drop_sensor']))} objects")

        step = "start dagster dev"
        port = args.port or free_port()
        dev_log = home / "dagster-dev.log"
        with dev_log.open("wb") as dev_output:  # the child keeps its own copy of the descriptor
            from helio_pipeline.lib.processes import spawn  # SIGTERM stops it, whatever we ignore

            dev = spawn([dagster, "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                                   cwd=ROOT, stdin=subprocess.DEVNULL, stdout=dev_output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own process group: stopped as a whole below
        wait_for_webserver(port, dev, dev_log, args.timeout)
        log(f"[4/6] dagster dev at http://127.0.0.1:{port} (log: {dev_log})")

        step = f"materialize every asset ({JOB})"
        run_started = time.monotonic()
        run_id = launch_job(port)
        log(f"[5/6] launched {JOB} run {run_id} through the webserver; waiting ...")
        wait_for_run(port, run_id, dev, dev_log, args.run_timeout)
        materialized = index_materializations(port, run_id)
        log(f"      succeeded in {time.monotonic() - run_started:.0f} s:")
        for asset, info in materialized.items():
            meta = info["metadata"]
            log(f"      {asset:<22} {meta.get('collection')}: {meta.get('chunks')} chunks, "
                f"{meta.get('embedded_texts')} embedded, estimated USD {meta.get('estimated_usd')}")

        step = "take the screenshots"
        shots = take_screenshots(chromium, port, out, run_id, args.asset, materialized[args.asset]["timestamp"],
                                 args.graph_size, args.asset_size, home, args.timeout)
        for shot in shots:
            log(f"[6/6] {shot} ({'x'.join(map(str, png_size(shot)))}, {shot.stat().st_size // 1024} KiB)")
        ok = True
    except StepFailed as exc:
        print(f"\nui_screenshots: step '{step}' failed: {exc}", file=sys.stderr)
    except subprocess.TimeoutExpired as exc:
        print(f"\nui_screenshots: step '{step}' failed: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - anything else still names the step, then cleans up
        print(f"\nui_screenshots: step '{step}' failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"\nui_screenshots: interrupted during step '{step}'; cleaning up", file=sys.stderr)
    finally:
        stop_group(dev, "dagster dev")
        if pg is not None:
            try:
                if pg.started_here or temporary:  # a home about to be removed keeps no server running
                    pg.stop(force=True)
            except Exception as exc:  # noqa: BLE001 - report, then go on cleaning up
                print(f"ui_screenshots: could not stop PostgreSQL in {pg.data_dir}: {exc}", file=sys.stderr)
                ok = False
        if temporary and home and (ok or pg is None):  # nothing worth a look before PostgreSQL started
            shutil.rmtree(home, ignore_errors=True)
        elif temporary and home:
            print(f"ui_screenshots: kept {home} for inspection (dagster-dev.log, postgres.log)", file=sys.stderr)
    if ok:
        log(f"done in {time.monotonic() - STARTED:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
