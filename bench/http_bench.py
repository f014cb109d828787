"""Measurement 2: event intake over HTTP, the real app against a bare Flask INSERT endpoint.

Both apps run under gunicorn with the same worker class and counts, on free loopback ports,
as child processes in their own process group (stopped at the end). Closed-loop throughput
uses wrk with bench/intake.lua (unique client_refs, seeded points inside the grids); the
fixed-rate latency test is an open-loop generator: requests are due on a fixed schedule and
latency is counted from the due time, so a slow server cannot slow the offered load down
(no coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import BENCH_CHANNELS, OUT, ROOT, VENV_BIN, log, summarize_ms

LUA = ROOT / "bench" / "intake.lua"
HEADERS = {"Content-Type": "application/json"}
API_KEY_HEADER = "X-API-Key"
# The app's intake rate limits while it is measured: switched on (so the counter's cost is in the
# figures) but far above anything this machine can send, so no request is refused.
UNREACHED_RATE_LIMIT = 100_000_000
APP_ENV = {
    "GISAPP_INTAKE_RATE_CLIENT": str(UNREACHED_RATE_LIMIT),
    "GISAPP_INTAKE_RATE_PRINCIPAL": str(UNREACHED_RATE_LIMIT),
}


def request_headers(api_key: str | None) -> dict[str, str]:
    """The headers of one intake request: JSON, plus the integration's API key when there is one."""
    return {**HEADERS, API_KEY_HEADER: api_key} if api_key else dict(HEADERS)


# wrk ------------------------------------------------------------------------------------
def ensure_wrk() -> str | None:
    """The wrk binary; installed with apt-get when missing and we are root; None otherwise."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("wrk is not installed (apt-get install wrk as root); using the Python closed-loop client")
        return None
    log("installing wrk with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    cmd = ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", "wrk"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=900)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    found = shutil.which("wrk")
    if not found:
        log(f"could not install wrk ({done.stderr.strip()[-300:]}); using the Python closed-loop client")
    return found


def wrk_version(wrk: str | None) -> str:
    if not wrk:
        return "not used"
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    text_ = (done.stdout or done.stderr).strip()
    return text_.splitlines()[0].split("[")[0].strip() if text_ else "wrk"


# servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str  # gunicorn app spec
    path: str  # the intake path
    health: str
    api_key: str | None = field(default=None, repr=False)  # sent as X-API-Key (None: no credentials)
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the server
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    argv: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GunicornConfig:
    workers: int = 4
    worker_class: str = "sync"
    threads: int = 4
    keep_alive: int = 5

    def args(self) -> list[str]:
        out = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            out += ["--threads", str(self.threads), "--keep-alive", str(self.keep_alive)]
        return out

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return (
                f"gunicorn, {self.workers} `gthread` workers × {self.threads} threads, keep-alive {self.keep_alive} s"
            )
        return (
            f"gunicorn, {self.workers} `{self.worker_class}` workers (as `gisapp serve` runs it on this "
            "machine; sync workers close the connection after each response)"
        )


def start_server(server: Server, database_url: str, cfg: GunicornConfig) -> Server:
    server.port = free_port()
    server.log_path = OUT / f"gunicorn-{server.name}.log"
    server.log_path.parent.mkdir(parents=True, exist_ok=True)
    server.argv = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{server.port}",
        *cfg.args(),
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        "--error-logfile",
        str(server.log_path),
        "--graceful-timeout",
        "5",
        server.app,
    ]
    env = {**os.environ, **server.env, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    server.proc = subprocess.Popen(
        server.argv,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:] if server.log_path.exists() else ""
            raise RuntimeError(f"gunicorn for {server.name} exited ({server.proc.returncode}):\n{tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", server.health)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                log(f"{server.name}: serving on 127.0.0.1:{server.port} (pid {server.proc.pid})")
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn for {server.name} did not become ready; see {server.log_path}")


def stop_server(server: Server) -> None:
    """SIGTERM to the gunicorn master's own process group, SIGKILL if it lingers."""
    proc = server.proc
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
    log(f"{server.name}: stopped")


# bodies ------------------------------------------------------------------------------------
def make_body(i: int, tag: str, point: tuple[float, float], categories: list[str]) -> bytes:
    channels = BENCH_CHANNELS
    return json.dumps(
        {
            "category": categories[i % len(categories)],
            "description": f"巡查发现：{i}号点位，压测上报",
            "location": {"type": "Point", "coordinates": [point[0], point[1]]},
            "channel": channels[i % len(channels)],
            "client_ref": f"bench-{tag}-{i}",
        },
        ensure_ascii=False,
    ).encode()


# closed loop -------------------------------------------------------------------------------
def run_wrk(
    wrk: str,
    server: Server,
    *,
    connections: int,
    threads: int,
    duration: float,
    points_file: Path,
    categories: list[str],
    tag: str,
) -> dict:
    env = {
        **os.environ,
        "BENCH_POINTS": str(points_file),
        "BENCH_CATEGORIES": ",".join(categories),
        "BENCH_PATH": server.path,
        "BENCH_RUN": tag,
        "BENCH_CHANNELS": ",".join(BENCH_CHANNELS),
        "BENCH_API_KEY": server.api_key or "",
    }
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{server.port}{server.path}",
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = raw["err_connect"] + raw["err_read"] + raw["err_write"] + raw["err_status"] + raw["err_timeout"]
    statuses = {str(k): v for k, v in raw.get("statuses", {}).items()}
    # a response that was counted but not seen by response() counts as not 201
    non_201 = sum(v for k, v in statuses.items() if k != "201") + max(0, raw["requests"] - sum(statuses.values()))
    sockets = errors - raw["err_status"]
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "seconds": seconds,
        "rps": raw["requests"] / seconds,
        "errors": sockets + max(raw["err_status"], non_201),
        "non_2xx": raw["err_status"],
        "non_201": non_201,
        "statuses": statuses,
        "p50": raw["p50_us"] / 1e3,
        "p90": raw["p90_us"] / 1e3,
        "p99": raw["p99_us"] / 1e3,
        "mean": raw["mean_us"] / 1e3,
        "max": raw["max_us"] / 1e3,
        "raw": raw,
    }


def run_python_closed(
    server: Server,
    *,
    connections: int,
    duration: float,
    points: list[tuple[float, float]],
    categories: list[str],
    tag: str,
) -> dict:
    """Fallback when wrk is missing: threads with keep-alive connections, each in a closed loop."""
    stop_at = time.perf_counter() + duration
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    statuses: dict[str, int] = {}
    counter = iter(range(10**9))
    headers = request_headers(server.api_key)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        mine: list[float] = []
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter)
            body = make_body(i, tag, points[i % len(points)], categories)
            t0 = time.perf_counter()
            status = _post(conn, server.path, body, headers)
            mine.append(time.perf_counter() - t0)
            with lock:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status != 201:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=duration + 30)
    seconds = time.perf_counter() - started
    s = summarize_ms(latencies)
    return {
        "tool": "python",
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "errors": errors[0],
        "non_2xx": sum(v for k, v in statuses.items() if not k.startswith("2")),
        "non_201": errors[0],
        "statuses": statuses,
        "p50": s.get("p50"),
        "p90": None,
        "p99": s.get("p99"),
        "mean": s.get("mean"),
        "max": s.get("max"),
    }


def _post(conn, path: str, body, headers) -> int:
    """One POST on a kept-alive connection: its status, or -1 when the connection failed."""
    try:
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        resp.read()
        if resp.will_close:
            conn.close()
        return resp.status
    except (OSError, http.client.HTTPException):
        conn.close()
        return -1


def closed_loop(
    wrk: str | None,
    server: Server,
    *,
    connections: int,
    threads: int,
    duration: float,
    points_file: Path,
    points: list[tuple[float, float]],
    categories: list[str],
    tag: str,
) -> dict:
    if wrk:
        return run_wrk(
            wrk,
            server,
            connections=connections,
            threads=threads,
            duration=duration,
            points_file=points_file,
            categories=categories,
            tag=tag,
        )
    return run_python_closed(
        server, connections=connections, duration=duration, points=points, categories=categories, tag=tag
    )


# open loop ---------------------------------------------------------------------------------
def open_loop(
    server: Server,
    *,
    rate: float,
    duration: float,
    points: list[tuple[float, float]],
    categories: list[str],
    tag: str,
    clients: int = 24,
) -> dict:
    """Requests due every 1/rate s whatever the responses; latency counted from the due time."""
    n = int(rate * duration)
    bodies = [make_body(i, tag, points[i % len(points)], categories) for i in range(n)]
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    results: list[tuple[float, float, float, int] | None] = [None] * n
    headers = request_headers(server.api_key)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        while True:
            job = jobs.get()
            if job is None:
                break
            i, due = job
            sent = time.perf_counter()
            status = _post(conn, server.path, bodies[i], headers)
            results[i] = (due, sent, time.perf_counter(), status)
        conn.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for w in workers:
        w.start()
    start = time.perf_counter() + 0.1
    max_lag = 0.0
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            max_lag = max(max_lag, -delay)
        jobs.put((i, due))
    for _ in workers:
        jobs.put(None)
    for w in workers:
        w.join(timeout=60)
    done = [r for r in results if r is not None]
    ok = [r for r in done if r[3] == 201]  # every request is a new report: 201 Created, nothing else
    errors = n - len(ok)
    end = max((r[2] for r in done), default=start)
    latency = summarize_ms([r[2] - r[0] for r in ok])
    service = summarize_ms([r[2] - r[1] for r in ok])
    statuses: dict[str, int] = {}
    for r in done:
        statuses[str(r[3])] = statuses.get(str(r[3]), 0) + 1
    return {
        "offered_rps": rate,
        "seconds": duration,
        "sent": n,
        "completed": len(done),
        "ok": len(ok),
        "errors": errors,
        "non_201": errors,
        "statuses": statuses,
        "achieved_rps": len(ok) / max(1e-9, end - start),
        "latency": latency,
        "service": service,
        "dispatch_max_lag_ms": max_lag * 1e3,
    }
