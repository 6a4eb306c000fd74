"""Memory and CPU sizing, run by hand (not a test): what one worker and one thread cost.

    .venv/bin/python bench/memory.py                 # the README's sizing table (about 1 minute)
    .venv/bin/python bench/memory.py --seconds 3     # quicker

For each server shape (workers x threads) it starts the production server
(gunicorn -c gunicorn.conf.py, SQLite, the Vonage sender as in production,
the app's own argon2 settings unless --argon2-memory is given), lets it
settle, and reads from /proc:
  - idle: the master's and each worker's RSS and PSS (PSS shares the pages
    the master and its forked workers have in common, so PSS adds up);
  - busy: every thread of every worker checking a password at once (POST
    /signin with a right password, again and again for --seconds): the peak
    RSS of each worker (VmHWM) and the master + workers PSS sampled 20 times
    a second, and the server CPU seconds per password check.
The server is always stopped. Prints one line per shape.
"""
import argparse
import concurrent.futures
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402



def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
MIB = 1024 * 1024


def _status(pid, field):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def measure(workers, threads, seconds, argon2_memory):
    directory = tempfile.mkdtemp(prefix="bestream-sizing-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
    # The Vonage sender, as in production (its SDK is part of a worker's memory); these sign-ins send no SMS.
    env.update(DATABASE_URL=f"sqlite:///{directory}/app.sqlite3", SECRET_KEY=SECRET_KEY,
               SESSION_COOKIE_SECURE="0", SMS_BACKEND="vonage", VONAGE_API_KEY="bench", VONAGE_API_SECRET="bench",
               VONAGE_FROM="beSTREAM",
               RATELIMIT_SIGNIN="1000000 per minute", SIGNUPS_PER_IP_DAY="0", WEB_CONCURRENCY=str(workers),
               GUNICORN_THREADS=str(threads), GUNICORN_BIND=f"127.0.0.1:{port}")
    if argon2_memory:
        env["ARGON2_MEMORY_COST"] = str(argon2_memory)
    log = open(os.path.join(directory, "gunicorn.log"), "wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        while len(_children(server.pid)) < workers:
            time.sleep(0.1)
        # One account per client thread, signed up through the site (no two-step: the password is the work).
        clients = workers * threads
        sessions = []
        for number in range(clients):
            session = requests.Session()
            token = CSRF_RE.search(session.get(base + "/signup").text).group(1)
            session.post(base + "/signup", data={"email": f"user{number}@example.com", "password": PASSWORD,
                                                 "name": "U", "csrf_token": token}, allow_redirects=False)
            sessions.append(requests.Session())
        for session in sessions:  # every worker has served pages and loaded what it loads
            session.get(base + "/signin")
        time.sleep(1)
        pids = _children(server.pid)
        idle_rss = [_status(pid, "VmRSS") for pid in pids]
        idle_pss = _pss(server.pid) + sum(_pss(pid) for pid in pids)
        master_rss = _status(server.pid, "VmRSS")
        cpu_before = _cpu_seconds(server.pid) + sum(_cpu_seconds(pid) for pid in pids)

        stop = time.monotonic() + seconds
        checks = []
        peak_pss = [idle_pss]

        def sample():
            while time.monotonic() < stop:
                peak_pss.append(_pss(server.pid) + sum(_pss(pid) for pid in pids))
                time.sleep(0.05)

        def user(number):
            session = sessions[number]
            done = 0
            while time.monotonic() < stop:
                token = CSRF_RE.search(session.get(base + "/signin").text).group(1)
                response = session.post(base + "/signin", allow_redirects=False, timeout=60, data={
                    "email": f"user{number}@example.com", "password": PASSWORD, "csrf_token": token})
                assert response.status_code == 303, response.status_code
                session.cookies.clear()  # signed in; the next round starts as a new browser
                done += 1
            checks.append(done)

        sampler = threading.Thread(target=sample)
        sampler.start()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(user, range(clients)))
        sampler.join()
        cpu_after = _cpu_seconds(server.pid) + sum(_cpu_seconds(pid) for pid in pids)
        peak_rss = [_status(pid, "VmHWM") for pid in pids]
        total = sum(checks)
        return {
            "shape": f"{workers} x {threads}", "master_rss": master_rss, "idle_worker_rss": max(idle_rss),
            "idle_pss": idle_pss, "peak_worker_rss": max(peak_rss), "peak_pss": max(peak_pss),
            "checks": total, "per_second": total / seconds,
            "cpu_ms_per_check": 1000 * (cpu_after - cpu_before) / max(total, 1),
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--argon2-memory", type=int, default=0, help="ARGON2_MEMORY_COST in KiB (default: the app's)")
    parser.add_argument("--shapes", default="1x1,1x4,2x4,4x4", help="workers x threads, comma-separated")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, "
          f"argon2 memory {args.argon2_memory or 'app default'} KiB")
    print(f"{'shape':>6} {'master RSS':>11} {'idle worker RSS':>16} {'idle total PSS':>15} "
          f"{'busy worker peak RSS':>21} {'busy total PSS':>15} {'checks/s':>9} {'CPU ms/check':>13}")
    for shape in args.shapes.split(","):
        workers, threads = (int(x) for x in shape.split("x"))
        r = measure(workers, threads, args.seconds, args.argon2_memory)
        print(f"{r['shape']:>6} {r['master_rss'] / MIB:>9.0f} M {r['idle_worker_rss'] / MIB:>14.0f} M "
              f"{r['idle_pss'] / MIB:>13.0f} M {r['peak_worker_rss'] / MIB:>19.0f} M {r['peak_pss'] / MIB:>13.0f} M "
              f"{r['per_second']:>9.1f} {r['cpu_ms_per_check']:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
