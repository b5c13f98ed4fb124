"""Status checks and observation ingestion: fairgate against MLflow's model registry.

Run: ``python benchmarks/status_bench.py [--database postgresql] [--workers 1,2,4] [--duration 10]
[--concurrency 64] [--json out.json]``

Every figure comes with the CPU time of the measured server (its whole process tree, from
``psutil``) next to the wall time, and the load average at the start is printed. fairgate runs
against the real store (filings validated, audits recorded, committee decisions); with
``--database postgresql`` on a throwaway PostgreSQL server started here (Debian's binaries). The
temporary folder (and that server) are removed at the end, whatever happens.

1. **Status checks.** ``fairgate serve --workers N`` (for each N of ``--workers``) answers
   ``GET /v1/status/{name}/{version}``; ``mlflow server`` (its defaults: uvicorn, 4 workers, SQLite
   backend) answers ``GET /api/2.0/mlflow/model-versions/get?name=..&version=..``. Both run on
   127.0.0.1 on this machine in the same run and are loaded by the same load generator
   (``benchmarks/loadgen.py``, a separate process: 64 keep-alive connections). Two loads:
   *closed loop* (each client sends its next request as soon as the answer arrives: the most
   requests per second) and *paced* (each client sends 50 requests per second at a random phase:
   the latency a serving system sees at a steady 3,200 checks per second).
2. **Observations.** Columnar batches of 20,000 decisions (outcome, two sensitive attributes) are
   parsed, validated, stored and evaluated by the breaker (two rules); reported per CPU-second
   in-process (one core) and over HTTP (server CPU time from ``psutil``).
3. **Trip latency.** A biased batch is posted to an ACTIVE model; the time from sending it to the
   answer that says ``tripped`` (the decision is committed before that answer), and to a
   :class:`~fairgate.registry.client.StatusClient` seeing the suspension on the push stream.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from governed import activate, filing  # noqa: E402
from serving import free_port, serve_fairgate, stop, tree_cpu, wait_http  # noqa: E402

POLICY = """\
name: bench
breaker:
  - id: dp
    metric: selection_rate
    kind: difference
    threshold: 0.15
    attributes: [sex]
    window: {kind: sliding, size: 20000}
    min_samples: 200
    alpha: 0.001
  - id: tpr
    metric: true_positive_rate
    kind: difference
    threshold: 0.2
    attributes: [sex, age]
    window: {kind: tumbling, size: 50000}
    min_samples: 200
    alpha: 0.001
"""


def _measured(
    url: str, args: argparse.Namespace, headers: list[str], rate: float | None, pid: int
) -> dict:
    """One load run, with the server's CPU seconds over it."""
    cpu = tree_cpu(pid)
    out = _loadgen(url, args, headers, rate)
    out["server_cpu_s"] = round(tree_cpu(pid) - cpu, 2)
    return out


def _loadgen(url: str, args: argparse.Namespace, headers: list[str], rate: float | None) -> dict:
    cmd = [
        sys.executable,
        str(HERE / "loadgen.py"),
        "--url",
        url,
        "--concurrency",
        str(args.concurrency),
        "--duration",
        str(args.duration),
    ]
    for h in headers:
        cmd += ["--header", h]
    if rate:
        cmd += ["--rate-per-client", str(rate)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _columnar(name: str, n: int, rng: np.random.Generator, biased: bool = False) -> bytes:
    sex = rng.choice(["F", "M"], n)
    age = rng.choice(["<30", "30-50", ">50"], n)
    outcome = rng.integers(0, 2, n)
    p_f, p_m = (0.2, 0.7) if biased else (0.5, 0.5)
    pred = rng.random(n) < np.where(sex == "F", p_f, p_m)
    body = {
        "model": name,
        "version": "1",
        "prediction": pred.astype(int).tolist(),
        "outcome": outcome.tolist(),
        "sensitive": {"sex": sex.tolist(), "age": age.tolist()},
    }
    return json.dumps(body).encode()


def bench_ingest_in_process(service: Any, name: str, batches: int, n: int) -> dict[str, float]:
    """Parse, validate, store and evaluate batches in this process; figures per CPU-second."""
    from fairgate.registry.api.routers.ops import ingest_batch

    rng = np.random.default_rng(0)
    bodies = [_columnar(name, n, rng) for _ in range(batches)]
    ingest_batch(service, bodies[0])  # warm up: windows, policy, caches
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for body in bodies[1:]:
        _, out = ingest_batch(service, body)
        assert not out["tripped"], out
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    total = n * (batches - 1)
    return {"obs_per_cpu_s": total / cpu, "obs_per_s_wall": total / wall, "batch": n}


def bench_ingest_http(url: str, token: str, name: str, pid: int, batches: int, n: int) -> dict:
    """Post batches over HTTP from 2 client threads; server CPU time from psutil."""
    import psutil

    rng = np.random.default_rng(1)
    bodies = [_columnar(name, n, rng) for _ in range(batches)]
    proc = psutil.Process(pid)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        assert c.post("/v1/observations", content=bodies[0]).status_code == 201
    cpu0 = sum(proc.cpu_times()[:2])
    wall0 = time.perf_counter()

    def worker(part: list[bytes]) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            for body in part:
                r = c.post("/v1/observations", content=body)
                assert r.status_code == 201, r.text

    threads = [threading.Thread(target=worker, args=(bodies[1 + i :: 2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall0
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    total = n * (batches - 1)
    return {"obs_per_s_wall": total / wall, "obs_per_server_cpu_s": total / cpu, "batch": n}


def bench_trip(url: str, token: str, registry: Any, home: Path, repeats: int) -> dict[str, Any]:
    """Time from posting a biased batch to the tripped answer, and to the client's push event."""
    from fairgate.registry.client import StatusClient

    post_ms, push_ms, eval_ms = [], [], []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rng = np.random.default_rng(2)
    for i in range(repeats):
        name = f"trip-{i}"
        activate(registry, home, filing(name, version="1", policy=None))
        seen = threading.Event()
        stamp: list[float] = []

        def on_change(
            message: dict,
            name: str = name,
            stamp: list[float] = stamp,
            seen: threading.Event = seen,
        ) -> None:
            if message["name"] == name and message["state"] == "SUSPENDED":
                stamp.append(time.perf_counter())
                seen.set()

        with (
            StatusClient(url, token, on_change=on_change) as client,
            httpx.Client(base_url=url, headers=headers, timeout=60) as c,
        ):
            deadline = time.monotonic() + 10
            while not client.stream_live and time.monotonic() < deadline:
                time.sleep(0.01)
            assert client.may_serve(name, "1")
            for _ in range(3):
                r = c.post("/v1/observations", content=_columnar(name, 2000, rng))
                assert r.status_code == 201 and not r.json()["tripped"], r.text
            body = _columnar(name, 5000, rng, biased=True)
            t0 = time.perf_counter()
            r = c.post("/v1/observations", content=body)
            t1 = time.perf_counter()
            assert r.status_code == 201 and r.json()["tripped"], r.text
            assert seen.wait(5)
            post_ms.append((t1 - t0) * 1000)
            push_ms.append((stamp[0] - t0) * 1000)
            eval_ms.append(float(r.json()["ingest_ms"]))
    return {
        "post_to_tripped_answer_ms_median": float(np.median(post_ms)),
        "post_to_tripped_answer_ms_max": float(np.max(post_ms)),
        "post_to_client_push_ms_median": float(np.median(push_ms)),
        "post_to_client_push_ms_max": float(np.max(push_ms)),
        "server_ingest_ms_median": float(np.median(eval_ms)),
        "server_ingest_ms_max": float(np.max(eval_ms)),
        "repeats": repeats,
    }


def bench_client_cache(url: str, token: str, calls: int = 200_000) -> dict[str, float]:
    """``StatusClient.may_serve`` answered from its cache while the push stream is live."""
    from fairgate.registry.client import StatusClient

    with StatusClient(url, token) as client:
        deadline = time.monotonic() + 10
        while not client.stream_live and time.monotonic() < deadline:
            time.sleep(0.01)
        assert client.may_serve("bench-model", "1")
        start = time.perf_counter()
        for _ in range(calls):
            client.may_serve("bench-model", "1")
        elapsed = time.perf_counter() - start
    return {"calls_per_s": calls / elapsed, "us_per_call": elapsed / calls * 1e6}


def _start_mlflow(tmp: Path, workers: int | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [
        shutil.which("mlflow") or str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{tmp / 'mlflow.db'}",
        "--default-artifact-root",
        str(tmp / "mlartifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    log = open(tmp / "mlflow.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", proc, timeout=600)  # slow to start on a busy machine
        api = f"{url}/api/2.0/mlflow"
        r = httpx.post(f"{api}/registered-models/create", json={"name": "bench-model"})
        r.raise_for_status()
        # a remote-looking source: MLflow accepts it without a run
        version = {"name": "bench-model", "source": "s3://fairgate-bench/model"}
        httpx.post(f"{api}/model-versions/create", json=version).raise_for_status()
    except BaseException:
        stop(proc, group=True)
        raise
    return proc, url


def _serve(home: Path, tmp: Path, env: dict[str, str], workers: int) -> tuple[Any, str]:
    server, url = serve_fairgate(env, tmp / f"fairgate-{workers}.log", workers, group=True)
    if workers > 1:
        time.sleep(3)  # /ready answers with the first worker up; let the others start too
    return server, url


def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate-per-client", type=float, default=50.0)
    parser.add_argument("--workers", default="1", help="fairgate worker counts, e.g. 1,2,4")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--mlflow-workers", type=int, default=None)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--status-only", action="store_true", help="only the status checks")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--trips", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE.parent / "tests"))
    from timing import load_line

    from fairgate.registry.api import Service
    from fairgate.registry.api.auth import TokenStore
    from fairgate.registry.store import Registry
    from fairgate.registry.store.policies import PolicyStore
    from fairgate.settings import Settings

    results: dict[str, Any] = {"cores": os.cpu_count(), "load": load_line()}
    print(results["load"])
    tmp = Path(tempfile.mkdtemp(prefix="fairgate-bench-"))
    pg = server = mlflow = None
    try:
        url_db = None
        if args.database == "postgresql":
            from pg_server import PgServer, find_bin_dir

            bin_dir = find_bin_dir()
            if bin_dir is None:
                raise SystemExit("PostgreSQL binaries not found (apt-get install postgresql)")
            pg = PgServer(bin_dir).start()
            url_db = pg.create_database("bench")
        results["database"] = args.database
        home = tmp / "home"
        settings = Settings(home=home, database_url=url_db)
        settings.ensure_home()
        registry = Registry(settings)
        published, _ = PolicyStore(registry.engine).publish(POLICY, actor="committee:benchmark")
        for name in ("bench-model", "ingest-http", "ingest-local"):
            activate(registry, home, filing(name, version="1", policy=None))
        token = TokenStore(registry.engine).create("operations")[0]
        env = {**os.environ, "FAIRGATE_HOME": str(home)}
        env.pop("FAIRGATE_DATABASE_URL", None)
        if url_db:
            env["FAIRGATE_DATABASE_URL"] = url_db
        env["FAIRGATE_BREAKER_POLICY"] = published.ref
        env["FAIRGATE_MAX_BODY_BYTES"] = str(64 * 1024**2)
        auth = [f"Authorization: Bearer {token}"]
        worker_counts = [int(w) for w in args.workers.split(",")]
        for workers in worker_counts:
            server, url = _serve(home, tmp, env, workers)
            status_url = f"{url}/v1/status/bench-model/1"
            results[f"fairgate_{workers}w_closed"] = _measured(
                status_url, args, auth, None, server.pid
            )
            results[f"fairgate_{workers}w_paced"] = _measured(
                status_url, args, auth, args.rate_per_client, server.pid
            )
            print(workers, "worker(s):", results[f"fairgate_{workers}w_closed"], flush=True)
            if workers == worker_counts[0] and not args.status_only:
                results["ingest_http"] = bench_ingest_http(
                    url, token, "ingest-http", server.pid, args.batches, args.batch_size
                )
                results["trip"] = bench_trip(url, token, registry, home, args.trips)
                results["client_cache"] = bench_client_cache(url, token)
            stop(server, group=True)
            server = None
        if not args.skip_mlflow:
            mlflow, murl = _start_mlflow(tmp, args.mlflow_workers)
            get = f"{murl}/api/2.0/mlflow/model-versions/get?name=bench-model&version=1"
            results["mlflow_closed"] = _measured(get, args, [], None, mlflow.pid)
            results["mlflow_paced"] = _measured(get, args, [], args.rate_per_client, mlflow.pid)
            stop(mlflow, group=True)
            mlflow = None
        if not args.status_only:
            service = Service(settings, registry, breaker_policy=published.ref)
            results["ingest_in_process"] = bench_ingest_in_process(
                service, "ingest-local", args.batches, args.batch_size
            )
        registry.engine.dispose()
    finally:
        if mlflow is not None:
            stop(mlflow, group=True)
        if server is not None:
            stop(server, group=True)
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    _report(results, worker_counts)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def _line(label: str, r: dict[str, Any], seconds: float) -> str:
    return (
        f"| {label} | {r['rps']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | "
        f"{seconds:.0f} s | {r['server_cpu_s']:.1f} s |"
    )


def _report(r: dict[str, Any], worker_counts: list[int]) -> None:
    print(json.dumps(r, indent=2))
    print(f"\n{r['load']} at the start; database {r['database']}\n")
    print("| server, load | checks/s | p50 ms | p99 ms | wall | server CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    duration = r.get("duration", 0)
    for w in worker_counts:
        for kind in ("closed", "paced"):
            key = f"fairgate_{w}w_{kind}"
            print(
                _line(f"fairgate, {w} worker(s), {kind}", r[key], r[key].get("seconds", duration))
            )
    if "mlflow_closed" in r:
        for kind in ("closed", "paced"):
            key = f"mlflow_{kind}"
            print(_line(f"MLflow server, {kind}", r[key], r[key].get("seconds", duration)))
        mc = r["mlflow_closed"]["rps"]
        for w in worker_counts:
            ratio = r[f"fairgate_{w}w_closed"]["rps"] / mc
            print(f"closed-loop throughput, fairgate {w} worker(s) / MLflow: {ratio:.1f}x")
    if "ingest_in_process" in r:
        ip, ih = r["ingest_in_process"], r["ingest_http"]
        print(f"observations in process: {ip['obs_per_cpu_s']:,.0f} per CPU-second")
        print(
            f"observations over HTTP:  {ih['obs_per_s_wall']:,.0f}/s wall, "
            f"{ih['obs_per_server_cpu_s']:,.0f} per server CPU-second"
        )
        cc = r["client_cache"]
        print(
            f"StatusClient.may_serve from cache: {cc['calls_per_s']:,.0f}/s "
            f"({cc['us_per_call']:.2f} us per call)"
        )
        t = r["trip"]
        print(
            f"trip: answer {t['post_to_tripped_answer_ms_median']:.1f} ms median "
            f"(max {t['post_to_tripped_answer_ms_max']:.1f}), client push "
            f"{t['post_to_client_push_ms_median']:.1f} ms median "
            f"(max {t['post_to_client_push_ms_max']:.1f})"
        )


if __name__ == "__main__":
    main()
