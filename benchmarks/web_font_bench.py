"""The first Chinese page: what a browser waits for when the font subset is built on request
(before) against the subset built once ahead, at ``fairgate serve`` start (after).

A browser showing its first 简体中文 page loads the page, the style sheet and fairgate's Noto Sans
SC subset of the catalogs' characters. Each side runs in a fresh process (cold caches, as after
a start) on the service app in process (its start-up not run), on a fresh SQLite state folder:

- before: the subset is not there, so the font request builds it (what every first Chinese page
  paid before the start-up build);
- after: the start-up build (:func:`fairgate.registry.web.static.prepare_font`, run in the
  background by ``fairgate serve``; its own cost is printed) has left the subset under
  ``FAIRGATE_HOME``, so the font request reads a file.

Then a real ``fairgate serve``: the first Chinese page once its start-up build is done.

    python benchmarks/web_font_bench.py --repeat 3 [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from results import write_section
from serving import free_port, stop, wait_http
from timing import load_line

_FIRST_PAGE = r"""
import json, sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from fairgate.registry.api.app import create_app
from fairgate.settings import Settings

app = create_app(Settings(home=Path(sys.argv[1])))
wall, cpu = time.perf_counter(), time.process_time()
if sys.argv[2] == "prepare":
    from fairgate.registry.web.static import prepare_font
    prepare_font(Path(sys.argv[1]))
else:
    c = TestClient(app)  # not entered: the app's start-up (and its font build) does not run
    for path in ("/web/signin?lang=zh", "/web/static/web.css", "/web/static/fairgate-sans.otf"):
        assert c.get(path).status_code == 200, path
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))
"""


def _child(home: Path, what: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_PAGE, str(home), what],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _served(home: Path) -> dict[str, float]:
    """A real server: wait for its start-up build, then time the first Chinese page."""
    from fairgate.registry.web.static import catalog_font_path

    port = free_port()
    env = {**os.environ, "FAIRGATE_HOME": str(home)}
    env.pop("FAIRGATE_DATABASE_URL", None)
    cmd = [sys.executable, "-c", "from fairgate.cli import main; main()", "serve"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/ready", proc)
        start = time.perf_counter()
        while not catalog_font_path(home).is_file():
            time.sleep(0.05)
        waited = time.perf_counter() - start
        wall = time.perf_counter()
        with httpx.Client(base_url=base, timeout=60) as c:
            for path in ("/web/signin?lang=zh", "/web/static/web.css"):
                assert c.get(path).status_code == 200
            assert c.get("/web/static/fairgate-sans.otf").status_code == 200
        return {"wall": time.perf_counter() - wall, "after_ready": waited}
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="record in benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = load_line()
    print(load)
    before, after, build = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            home = Path(tmp) / f"run{i}"
            before.append(_child(home, "page"))  # no subset yet: the request builds it
            home = Path(tmp) / f"ahead{i}"
            build.append(_child(home, "prepare"))  # what fairgate serve runs at start
            after.append(_child(home, "page"))
        served = _served(Path(tmp) / "served")

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    lines = [
        f"- {load}; median of {args.repeat} fresh processes, SQLite, the app in process",
        f"- before (subset built by the first font request): {med(before, 'wall'):.3f} s wall, "
        f"{med(before, 'cpu'):.3f} s CPU",
        f"- after (subset built at start, read from FAIRGATE_HOME): {med(after, 'wall'):.3f} s "
        f"wall, {med(after, 'cpu'):.3f} s CPU",
        f"- ratio before/after: {med(before, 'wall') / med(after, 'wall'):.1f}x wall, "
        f"{med(before, 'cpu') / max(med(after, 'cpu'), 1e-9):.1f}x CPU",
        f"- the start-up build itself (in the background, once per FAIRGATE_HOME and update): "
        f"{med(build, 'wall'):.3f} s wall, {med(build, 'cpu'):.3f} s CPU",
        f"- real `fairgate serve`: build done {served['after_ready']:.2f} s after /ready; "
        f"first Chinese page then (page, style sheet, font over HTTP): {served['wall']:.3f} s wall",
    ]
    print("\n".join(lines))
    if args.write:
        write_section(
            "## First Chinese page: font subset built on request vs at start (web_font_bench)",
            "`python benchmarks/web_font_bench.py --repeat 3 --write`\n\n" + "\n".join(lines),
        )


if __name__ == "__main__":
    main()
