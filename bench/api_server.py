"""A stand-in for a hosted embedding API, for benches: POST /v1/embeddings (OpenAI's wire
format, answered to the official openai client) after a fixed network latency.

    python bench/api_server.py --port 8765 [--latency-ms 300]

The vectors are computed here, in this process, as a hosted API computes them on its own
machines: each text gets a deterministic unit vector (a hash of the text seeds it), so the
same text always gets the same vector and two texts almost never share one. The work a run
does with the answer (parsing the JSON, building points, writing them) is the client's, as
in production. ``--latency-ms`` is the time every request takes on the server's side before
it answers (a hosted API answers a request of a few dozen short texts in a few hundred
milliseconds). Requests are answered concurrently (one thread each).

Loopback only. SIGTERM or SIGINT ends it. ``start(...)`` runs it as a child process for a
bench and returns (process, base url); ``stop(process)`` ends it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np


def vector(text: str, dims: int, b64: bool) -> str | list[float]:
    """The text's unit vector, as the request's ``encoding_format`` asks: base64 float32 (what the
    openai client asks for unless told otherwise) or a list of floats."""
    seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
    v = np.random.default_rng(seed).standard_normal(dims, dtype=np.float32)
    v /= np.linalg.norm(v)
    return base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") if b64 else v.round(6).tolist()


def serve(port: int, latency: float, default_dims: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # the embedder's access check lists the models
            self._send(json.dumps({"object": "list", "data": [{"id": "text-embedding-3-small", "object": "model",
                                                               "owned_by": "bench"}]}).encode())

        def do_POST(self):
            started = time.perf_counter()
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)))
            inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
            dims = int(req.get("dimensions") or default_dims)
            b64 = req.get("encoding_format") == "base64"
            tokens = sum(len(str(t).split()) for t in inputs)
            body = json.dumps({"object": "list", "model": req["model"],
                               "data": [{"object": "embedding", "index": i, "embedding": vector(str(t), dims, b64)}
                                        for i, t in enumerate(inputs)],
                               "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}).encode()
            time.sleep(max(0.0, latency - (time.perf_counter() - started)))
            try:
                self._send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True

    def end(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    try:
        httpd.serve_forever(poll_interval=0.1)
    except SystemExit:
        pass
    finally:
        httpd.server_close()


def start(latency_ms: float, dims: int = 1536, timeout: float = 30.0):
    """This server as a child process on a free loopback port: (process, base url ending in /v1)."""
    import subprocess
    import urllib.request

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._common import free_port
    from helio_pipeline.lib.processes import spawn

    port = free_port()
    process = spawn([sys.executable, __file__, "--port", str(port), "--latency-ms", str(latency_ms),
                     "--dims", str(dims)], stdout=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/models", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"bench/api_server.py exited with {process.returncode}") from None
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"bench/api_server.py did not answer on {url} within {timeout:.0f} s")


def stop(process) -> None:
    from helio_pipeline.lib.processes import stop as stop_process

    stop_process(process, timeout=10, group=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--dims", type=int, default=1536, help="when a request names no dimensions")
    args = parser.parse_args()
    serve(args.port, args.latency_ms / 1000, args.dims)


if __name__ == "__main__":
    main()
