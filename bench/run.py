"""Load benchmark, run by hand (not a test): how fast is a whole sign-in, and what does it cost?

    .venv/bin/python bench/run.py                      # everything below, SQLite, 32 users, 4 workers
    .venv/bin/python bench/run.py --users 8 --seconds 5 --accounts 1000 --no-scale   # a quick look

It serves the app with the production server (gunicorn -c gunicorn.conf.py) on
127.0.0.1 and drives virtual users (threads in a few client processes) through
the whole sign-in of accounts with two-step verification on:
  GET /signin, POST /signin (password), GET /signin/passcode,
  (the passcode read from the outbox table), POST /signin/passcode,
  GET /dashboard, POST /signout.
It prints, in order:
  1. the time of one password hash (argon2id, the app's settings and the cheapest);
  2. the whole sign-in with production argon2: sign-ins per second, p50/p95/p99
     per step, errors, the server's peak memory, and the ratio to what the
     password hash alone allows (cores / hash time);
  3. the bare Flask route (bench/bare.py) under the same server settings, and
     each step's rate as a ratio of it;
  4. the whole sign-in with the cheapest argon2 settings: server CPU ms per sign-in;
  5. the passcode step alone (pending sign-ins prepared first) vs the bare route;
  6. the passcode step's median with 1,000 and with 1,000,000 bulk-seeded accounts.
Every phase is bounded by --seconds; the server is always stopped.
"""
import argparse
import datetime
import gzip
import multiprocessing
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402

SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"
CHEAPEST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
CODE_RE = re.compile(r"#(\d{6})\s*$")
ASSET_RE = re.compile(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"')
STEPS = ["GET /signin", "POST /signin", "GET /signin/passcode", "POST /signin/passcode",
         "GET /dashboard", "POST /signout"]


# --- the server -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the repo's gunicorn.conf.py, in its own process group; samples its memory and CPU."""

    def __init__(self, app_module, env, workers, threads, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{self.port}", WEB_CONCURRENCY=str(workers),
                        GUNICORN_THREADS=str(threads), **{k: str(v) for k, v in env.items()})
        command = [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")]
        if app_module:
            command.append(app_module)
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.peak_rss = 0
        self._sampling = threading.Event()
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url + "/", timeout=2)
                break
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"the server did not start; see {log_path}")
                time.sleep(0.1)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def pids(self):
        pids = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    if int(fields[2]) == self.process.pid:  # field 5: process group
                        pids.append(int(name))
                except (OSError, IndexError):
                    pass
        return pids

    def rss_bytes(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as handle:
                    for line in handle:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def worker_rss_bytes(self):
        """{pid: resident memory} of each worker (every process of the group but the master)."""
        found = {}
        for pid in self.pids():
            if pid == self.process.pid:
                continue
            try:
                with open(f"/proc/{pid}/status") as handle:
                    for line in handle:
                        if line.startswith("VmRSS:"):
                            found[pid] = int(line.split()[1]) * 1024
            except OSError:
                pass
        return found

    def cpu_seconds(self):
        """CPU time of the master and every worker, including workers that were recycled (reaped)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
            if pid == self.process.pid:
                total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped workers
        return total / ticks

    def _sample(self):
        while not self._sampling.wait(0.2):
            self.peak_rss = max(self.peak_rss, self.rss_bytes())

    def stop(self):
        self._sampling.set()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()


# --- the data ---------------------------------------------------------------------------------

def phone_of(i):
    return f"+8170{i:08d}"


def seed(database_url, accounts, argon2):
    """Bulk-insert `accounts` accounts with two-step verification on (one password hash shared by all)."""
    import accounts as account_rules
    from models import User, db, init_database, migrate
    from twostep.codes import hash_recovery_code

    init_database(database_url)
    migrate()
    password_hash = account_rules.make_hasher(argon2).hash(PASSWORD)
    recovery_hash = hash_recovery_code("0" * 16)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with db.connection_context():
        batch = 2000
        for start in range(0, accounts, batch):
            rows = [{"email": f"bench{i}@example.com", "name": "Bench", "password_hash": password_hash,
                     "created_at": now, "two_step": "on", "phone": phone_of(i), "recovery_hash": recovery_hash}
                    for i in range(start, min(accounts, start + batch))]
            with db.atomic():
                User.insert_many(rows).execute()
    db.close()


class Outbox:
    """The client's own read of the SMS outbox (the table the outbox sender writes)."""

    def __init__(self, database_url):
        self.url = database_url
        self.local = threading.local()

    def _connection(self):
        if not hasattr(self.local, "connection"):
            if self.url.startswith("sqlite"):
                self.local.connection = sqlite3.connect(self.url.split("sqlite:///", 1)[1], timeout=30)
            else:
                import psycopg2

                self.local.connection = psycopg2.connect(self.url)
                self.local.connection.autocommit = True
        return self.local.connection

    def last_code(self, phone):
        placeholder = "?" if self.url.startswith("sqlite") else "%s"
        cursor = self._connection().cursor()
        cursor.execute(f"SELECT body FROM outbox_message WHERE phone = {placeholder} ORDER BY id DESC LIMIT 1",
                       (phone,))
        row = cursor.fetchone()
        return CODE_RE.search(row[0]).group(1) if row else None


# --- the virtual users ------------------------------------------------------------------------

def csrf_of(html):
    match = CSRF_RE.search(html)
    return match and (match.group(1) or match.group(2))


class Timer:
    def __init__(self):
        self.samples = {}
        self.errors = {}

    def call(self, step, method, url, expect, **kwargs):
        started = time.perf_counter()
        try:
            response = method(url, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as error:
            self.errors[f"{step}: {type(error).__name__}"] = self.errors.get(f"{step}: {type(error).__name__}", 0) + 1
            return None
        self.samples.setdefault(step, []).append(time.perf_counter() - started)
        if response.status_code != expect:
            key = f"{step}: HTTP {response.status_code}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return None
        return response


def sign_in_once(session, base, outbox, timer, i):
    """One whole sign-in; True when every step answered as a browser expects."""
    page = timer.call("GET /signin", session.get, base + "/signin", 200)
    if page is None:
        return False
    if timer.call("POST /signin", session.post, base + "/signin", 303,
                  data={"email": f"bench{i}@example.com", "password": PASSWORD,
                        "csrf_token": csrf_of(page.text)}) is None:
        return False
    page = timer.call("GET /signin/passcode", session.get, base + "/signin/passcode", 200)
    if page is None:
        return False
    code = outbox.last_code(phone_of(i))
    if timer.call("POST /signin/passcode", session.post, base + "/signin/passcode", 303,
                  data={"code": code, "csrf_token": csrf_of(page.text)}) is None:
        return False
    page = timer.call("GET /dashboard", session.get, base + "/dashboard", 200)
    if page is None:
        return False
    return timer.call("POST /signout", session.post, base + "/signout", 303,
                      data={"csrf_token": csrf_of(page.text)}) is not None


def _client_signins(args):
    base, database_url, account_ids, seconds = args
    outbox, timer, done = Outbox(database_url), Timer(), [0]
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def user(i):
        session = requests.Session()
        while time.monotonic() < deadline:
            if sign_in_once(session, base, outbox, timer, i):
                with lock:
                    done[0] += 1
            else:
                session = requests.Session()

    run_threads(user, account_ids)
    return timer.samples, timer.errors, done[0]


def _client_bare(args):
    base, _, account_ids, seconds = args
    timer, deadline = Timer(), time.monotonic() + seconds

    def user(_):
        session = requests.Session()
        while time.monotonic() < deadline:
            timer.call("GET / (bare)", session.get, base + "/", 200)

    run_threads(user, account_ids)
    return timer.samples, timer.errors, 0


def _client_prepare(args):
    """Pending sign-ins for the passcode-only phase: (cookies, csrf token, code) each."""
    base, database_url, account_ids, count = args
    outbox, prepared, lock = Outbox(database_url), [], threading.Lock()
    per_user = max(1, count // len(account_ids))

    def user(i):
        for _ in range(per_user):
            session = requests.Session()
            page = session.get(base + "/signin", timeout=30)
            session.post(base + "/signin", data={"email": f"bench{i}@example.com", "password": PASSWORD,
                                                 "csrf_token": csrf_of(page.text)}, allow_redirects=False, timeout=30)
            page = session.get(base + "/signin/passcode", timeout=30)
            item = (session.cookies.get_dict(), csrf_of(page.text), outbox.last_code(phone_of(i)))
            with lock:
                prepared.append(item)

    run_threads(user, account_ids)
    return prepared


def _client_passcodes(args):
    base, items, threads, seconds = args
    timer, deadline, lock, index = Timer(), time.monotonic() + seconds, threading.Lock(), [0]

    def user(_):
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                if index[0] >= len(items):
                    return
                cookies, token, code = items[index[0]]
                index[0] += 1
            session.cookies.clear()
            session.cookies.update(cookies)
            timer.call("POST /signin/passcode", session.post, base + "/signin/passcode", 303,
                       data={"code": code, "csrf_token": token})

    run_threads(user, range(threads))
    return timer.samples, timer.errors, 0


def run_threads(target, items):
    threads = [threading.Thread(target=target, args=(i,)) for i in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def split(items, parts):
    items = list(items)
    return [items[k::parts] for k in range(parts) if items[k::parts]]


def drive(pool, client, base, database_url, users, seconds, processes):
    """Run `client` in every client process; merge samples and errors. Returns (samples, errors, done, elapsed)."""
    started = time.monotonic()
    jobs = [(base, database_url, ids, seconds) for ids in split(range(users), processes)]
    samples, errors, done = {}, {}, 0
    for part_samples, part_errors, part_done in pool.map(client, jobs):
        for step, values in part_samples.items():
            samples.setdefault(step, []).extend(values)
        for key, count in part_errors.items():
            errors[key] = errors.get(key, 0) + count
        done += part_done
    return samples, errors, done, time.monotonic() - started


# --- reporting --------------------------------------------------------------------------------

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def print_steps(samples, elapsed, baseline_rate=None):
    print(f"  {'step':24} {'count':>7} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          + ("  rate / bare" if baseline_rate else ""))
    for step in STEPS + [s for s in samples if s not in STEPS]:
        values = samples.get(step)
        if not values:
            continue
        rate = len(values) / elapsed
        line = (f"  {step:24} {len(values):7d} {rate:8.1f} {percentile(values, 50) * 1000:8.1f} "
                f"{percentile(values, 95) * 1000:8.1f} {percentile(values, 99) * 1000:8.1f}")
        if baseline_rate:
            line += f"  {rate / baseline_rate:10.3f}"
        print(line)


def hash_seconds(argon2, repeat=5):
    """(wall, CPU) seconds of one password check; CPU counts argon2's own threads (parallelism)."""
    import accounts

    hasher = accounts.make_hasher(argon2)
    stored = hasher.hash(PASSWORD)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        hasher.verify(stored, PASSWORD)
    return (time.perf_counter() - started) / repeat, (time.process_time() - cpu) / repeat


def load_average():
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br, zstd", "Accept-Language": "en-US,en;q=0.9",
                   "User-Agent": "Mozilla/5.0 (bench)", "Accept": "text/html,*/*"}


def wire_get(base, path, cookies=""):
    """GET `path` as a browser would; (bytes on the wire: status line, headers, body as sent; response headers; body).

    The body is counted as it travels (compressed when the server compressed it), not decoded.
    """
    import http.client
    from urllib.parse import urlsplit

    host = urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = dict(BROWSER_HEADERS)
    if cookies:
        headers["Cookie"] = cookies
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in response.getheaders()) + "\r\n"
    connection.close()
    return len(head.encode("latin-1")) + len(body), dict(response.getheaders()), body


def visit_bytes(base, path, cookies=""):
    """(first visit: requests, bytes; repeat visit: requests, bytes) for `path` with the files it links.

    A repeat visit asks again for the page and for every linked file that is not cached as immutable.
    """
    size, _headers, body = wire_get(base, path, cookies)
    html = body
    encoding = _headers.get("Content-Encoding")
    if encoding == "gzip":
        html = gzip.decompress(body)
    elif encoding == "br":
        import brotli

        html = brotli.decompress(body)
    assets = sorted(set(ASSET_RE.findall(html.decode())))
    first_requests, first = 1, size
    repeat_requests, repeat = 1, size
    for asset in assets:
        asset_size, asset_headers, _ = wire_get(base, asset)
        first_requests += 1
        first += asset_size
        if "immutable" not in asset_headers.get("Cache-Control", ""):
            repeat_requests += 1
            repeat += asset_size  # at best a 304, at worst the whole file again
    return (first_requests, first), (repeat_requests, repeat), len(html), size


def print_page_bytes(base, database_url):
    session = requests.Session()
    signin = visit_bytes(base, "/signin")
    page = session.get(base + "/signin", timeout=30)
    session.post(base + "/signin", data={"email": "bench0@example.com", "password": PASSWORD,
                                         "csrf_token": csrf_of(page.text)}, allow_redirects=False, timeout=30)
    cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.get_dict().items())
    passcode = visit_bytes(base, "/signin/passcode", cookies)
    print(f"Bytes on the wire (headers included; Accept-Encoding: {BROWSER_HEADERS['Accept-Encoding']}):")
    for name, ((first_n, first), (repeat_n, repeat), html, html_wire) in (("sign-in page", signin),
                                                                         ("passcode page", passcode)):
        print(f"  {name:14} first visit {first_n} requests, {first:6d} bytes (aim <= 30 KB = 30720); "
              f"repeat visit {repeat_n} request(s), {repeat:5d} bytes (aim: 1 request, <= 5 KB = 5120); "
              f"HTML {html} bytes, {html_wire} on the wire")


STATEMENT_STEPS = STEPS


def statement_counts():
    """SQL statements and commits of each step of one whole sign-in, counted in-process (SQLite).

    The same counting as tests/test_statement_counts.py: every statement sent
    (savepoints included, BEGIN/COMMIT not), and every commit (an explicit
    COMMIT, or a write sent outside a transaction).
    """
    import accounts as account_rules
    from app import create_app
    from models import OutboxMessage, User, db

    directory = tempfile.mkdtemp(prefix="bestream-bench-count-")
    app = create_app({"DATABASE_URL": f"sqlite:///{directory}/count.sqlite3", "SECRET_KEY": SECRET_KEY,
                      "SESSION_COOKIE_SECURE": False, "SMS_OUTBOX_IN_PRODUCTION": True,
                      "RATELIMIT_STORAGE_URI": "database://", **CHEAPEST_ARGON2})
    with db.connection_context():
        User.create(email="count@example.com", name="Count", two_step="on", phone=phone_of(0),
                    password_hash=account_rules.make_hasher(CHEAPEST_ARGON2).hash(PASSWORD))
    database = db.obj
    counts, step = {}, [None]
    execute_sql, commit = database.execute_sql, database.commit
    write = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)

    thread = threading.get_ident()  # the requests' (the test client runs them here), not a background sender's

    def counted_execute(sql, params=None, *args, **kwargs):
        if step[0] and threading.get_ident() == thread:
            statements, commits = counts.get(step[0], (0, 0))
            autocommit = bool(write.match(sql)) and database.transaction_depth() == 0
            counts[step[0]] = (statements + 1, commits + autocommit)
        return execute_sql(sql, params, *args, **kwargs)

    def counted_commit(*args, **kwargs):
        if step[0] and threading.get_ident() == thread:
            statements, commits = counts.get(step[0], (0, 0))
            counts[step[0]] = (statements, commits + 1)
        return commit(*args, **kwargs)

    database.execute_sql, database.commit = counted_execute, counted_commit
    client = app.test_client()

    def call(name, method, path, **kwargs):
        step[0] = name
        counts.setdefault(name, (0, 0))
        try:
            return method(path, **kwargs)
        finally:
            step[0] = None

    page = call("GET /signin", client.get, "/signin")
    call("POST /signin", client.post, "/signin", data={"email": "count@example.com", "password": PASSWORD,
                                                        "csrf_token": csrf_of(page.text)})
    page = call("GET /signin/passcode", client.get, "/signin/passcode")
    with db.connection_context():
        code = CODE_RE.search(OutboxMessage.select().order_by(OutboxMessage.id.desc()).first().body).group(1)
    call("POST /signin/passcode", client.post, "/signin/passcode", data={"code": code, "csrf_token": csrf_of(page.text)})
    page = call("GET /dashboard", client.get, "/dashboard")
    response = call("POST /signout", client.post, "/signout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.status_code
    database.execute_sql, database.commit = execute_sql, commit
    from models import release_connections

    release_connections()
    return counts


def print_statement_counts():
    counts = statement_counts()
    print("SQL statements and commits per step (SQLite; tests/test_statement_counts.py holds the same figures):")
    for name in STEPS:
        statements, commits = counts.get(name, (0, 0))
        print(f"  {name:24} {statements:3d} statements, {commits} commit(s)")
    total = [sum(v[i] for v in counts.values()) for i in (0, 1)]
    print(f"  {'whole sign-in':24} {total[0]:3d} statements, {total[1]} commit(s)")


def server_env(database_url, argon2):
    env = {
        "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "SESSION_COOKIE_SECURE": "0",
        "SMS_BACKEND": "outbox", "SMS_OUTBOX_IN_PRODUCTION": "1",
        "RATELIMIT_SIGNIN": "1000000 per minute", "RATELIMIT_STORAGE_URI": "database://",
        "SMS_PER_IP_DAY_ALL": "1000000000", "SIGNUPS_PER_IP_DAY": "0",
        # Every virtual user signs in again and again: the per-account SMS caps are for people, not for this.
        "SMS_PER_ACCOUNT_HOUR": "1000000000", "SMS_PER_ACCOUNT_DAY": "1000000000",
        "SMS_PER_NUMBER_HOUR": "1000000000", "SMS_PER_NUMBER_DAY": "1000000000",
        "SMS_DAILY_LIMIT": "1000000000", "GUNICORN_LOGLEVEL": "warning",
    }
    env.update({k: str(v) for k, v in argon2.items()})
    return env


def fresh_database(directory, name, args):
    if args.database_url:
        from playhouse.db_url import connect

        database = connect(args.database_url)
        with database.connection_context():
            database.execute_sql("DROP SCHEMA public CASCADE")
            database.execute_sql("CREATE SCHEMA public")
        return args.database_url
    return f"sqlite:///{directory}/{name}.sqlite3"


def with_server(directory, database_url, argon2, args, app_module=None):
    env = server_env(database_url, argon2) if app_module is None else {"SECRET_KEY": SECRET_KEY}
    return Server(app_module, env, args.workers, args.threads, os.path.join(directory, "gunicorn.log"))


def passcode_only(pool, directory, database_url, args, users, prepared=None):
    """Prepare pending sign-ins (cheap argon2), then time only the passcode step."""
    prepared = prepared or args.prepared
    server = with_server(directory, database_url, CHEAPEST_ARGON2, args)
    try:
        ids = list(range(users))
        jobs = [(server.url, database_url, part, prepared // args.processes)
                for part in split(ids, args.processes)]
        prepared = [item for part in pool.map(_client_prepare, jobs) for item in part]
        jobs = [(server.url, items, max(1, users // args.processes), args.seconds)
                for items in split(prepared, args.processes)]
        started = time.monotonic()
        samples, errors = {}, {}
        for part_samples, part_errors, _ in pool.map(_client_passcodes, jobs):
            for step, values in part_samples.items():
                samples.setdefault(step, []).extend(values)
            for key, count in part_errors.items():
                errors[key] = errors.get(key, 0) + count
        return samples, errors, time.monotonic() - started
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=32, help="concurrent virtual users")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed phase")
    parser.add_argument("--processes", type=int, default=2, help="client processes driving the users")
    parser.add_argument("--accounts", type=int, default=1000, help="accounts seeded for the main runs")
    parser.add_argument("--prepared", type=int, default=3000, help="pending sign-ins for the passcode-only phase")
    parser.add_argument("--big", type=int, default=1_000_000, help="accounts for the scale comparison")
    parser.add_argument("--no-scale", action="store_true", help="skip the 1,000 vs 1,000,000 comparison")
    parser.add_argument("--database-url", help="a PostgreSQL URL to use instead of SQLite (its schema is reset)")
    args = parser.parse_args()
    args.accounts = max(args.accounts, args.users)

    import accounts
    from config import load_settings

    production = {k: v for k, v in load_settings().items() if k.startswith("ARGON2_") and v is not None}
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; server: gunicorn, "
          f"{args.workers} workers x {args.threads} threads; {args.users} users in {args.processes} client "
          f"processes; {'PostgreSQL' if args.database_url else 'SQLite'}; {args.seconds:g} s per phase")
    print(f"Load average before (1/5/15 min): {load_average()} (other work on the machine skews every figure)")
    (hash_time, hash_cpu), (cheap_hash_time, _) = hash_seconds(production), hash_seconds(CHEAPEST_ARGON2, 50)
    hasher = accounts.make_hasher(production)
    print(f"\nOne password hash (argon2id verify) with the app's settings (time {hasher.time_cost}, "
          f"{hasher.memory_cost} KiB, parallelism {hasher.parallelism}): {hash_time * 1000:.1f} ms, "
          f"{hash_cpu * 1000:.1f} ms of CPU; with the cheapest (time 1, 8 KiB): {cheap_hash_time * 1000:.2f} ms")

    print()
    print_statement_counts()

    directory = tempfile.mkdtemp(prefix="bestream-bench-")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.processes) as pool:
        # 2. The whole sign-in, production argon2.
        url = fresh_database(directory, "main", args)
        seed(url, args.accounts, production)
        server = with_server(directory, url, production, args)
        try:
            print_page_bytes(server.url, url)
            samples, errors, done, elapsed = drive(pool, _client_signins, server.url, url, args.users,
                                                   args.seconds, args.processes)
            peak = server.peak_rss
        finally:
            server.stop()
        hash_bound = (os.cpu_count() or 1) / hash_cpu
        print(f"\nWhole sign-in, production argon2: {done} sign-ins in {elapsed:.1f} s = {done / elapsed:.1f} per s; "
              f"errors: {sum(errors.values())} {errors or ''}")
        print(f"  the password hash alone (its CPU time) allows {hash_bound:.1f} sign-ins per s on "
              f"{os.cpu_count()} cores: "
              f"we reach {done / elapsed / hash_bound:.0%} of it")
        print(f"  server peak memory (master + workers): {peak / 2**20:.0f} MiB")

        # 3. The bare route, same server settings.
        bare = with_server(directory, url, production, args, app_module="bench.bare:app")
        try:
            bare_cpu_before = bare.cpu_seconds()
            bare_samples, bare_errors, _, bare_elapsed = drive(pool, _client_bare, bare.url, url, args.users,
                                                               args.seconds, args.processes)
            bare_cpu = bare.cpu_seconds() - bare_cpu_before
        finally:
            bare.stop()
        bare_values = bare_samples.get("GET / (bare)", [])
        bare_rate = len(bare_values) / bare_elapsed
        bare_cpu_per_request = bare_cpu / max(len(bare_values), 1)
        print(f"\nBare Flask route, same server: {bare_rate:.0f} requests per s, p50 "
              f"{percentile(bare_values, 50) * 1000:.1f} ms, errors: {sum(bare_errors.values())}; "
              f"server CPU {bare_cpu_per_request * 1000:.2f} ms per request, "
              f"{bare_cpu_per_request * 6000:.2f} ms for 6 requests")
        print("\nSteps of the whole sign-in (production argon2), rate as a ratio of the bare route's:")
        print_steps(samples, elapsed, bare_rate)

        # 4. The cheapest argon2: our own CPU cost per sign-in.
        url = fresh_database(directory, "cheap", args)
        seed(url, args.accounts, CHEAPEST_ARGON2)
        server = with_server(directory, url, CHEAPEST_ARGON2, args)
        try:
            # Memory at rest: each worker after a few requests (templates compiled, connections open).
            for _ in range(3 * args.workers):
                requests.get(server.url + "/signin", timeout=30)
            time.sleep(1)
            worker_rss = sorted(server.worker_rss_bytes().values())
            cpu_before = server.cpu_seconds()
            samples, errors, done, elapsed = drive(pool, _client_signins, server.url, url, args.users,
                                                   args.seconds, args.processes)
            cpu = server.cpu_seconds() - cpu_before
        finally:
            server.stop()
        print(f"\nWhole sign-in, cheapest argon2: {done / elapsed:.1f} sign-ins per s; errors: "
              f"{sum(errors.values())} {errors or ''}")
        per_signin = cpu * 1000 / max(done, 1)
        print(f"  server CPU per whole sign-in (6 requests): {per_signin:.1f} ms (aim: at most 8 ms); "
              f"the bare route's 6 requests in this run: {bare_cpu_per_request * 6000:.2f} ms "
              f"(ratio {per_signin / max(bare_cpu_per_request * 6000, 1e-9):.1f})")
        if worker_rss:
            print(f"  RSS per worker at rest ({len(worker_rss)} workers, SMS_BACKEND=outbox): "
                  f"{worker_rss[0] / 2**20:.1f}-{worker_rss[-1] / 2**20:.1f} MiB (aim: at most 80 MiB)")
        print_steps(samples, elapsed, bare_rate)

        # Memory at rest with the production sender: the Vonage SDK is loaded (nothing is sent here).
        env = dict(server_env(url, CHEAPEST_ARGON2), SMS_BACKEND="vonage", VONAGE_API_KEY="bench",
                   VONAGE_API_SECRET="bench-secret", VONAGE_FROM="beSTREAM")
        server = Server(None, env, args.workers, args.threads, os.path.join(directory, "gunicorn.log"))
        try:
            for _ in range(3 * args.workers):
                requests.get(server.url + "/signin", timeout=30)
            time.sleep(1)
            vonage_rss = sorted(server.worker_rss_bytes().values())
        finally:
            server.stop()
        if vonage_rss:
            print(f"  RSS per worker at rest ({len(vonage_rss)} workers, SMS_BACKEND=vonage): "
                  f"{vonage_rss[0] / 2**20:.1f}-{vonage_rss[-1] / 2**20:.1f} MiB (aim: at most 80 MiB)")

        # 5. The passcode step alone.
        samples, errors, elapsed = passcode_only(pool, directory, url, args, args.users)
        values = samples.get("POST /signin/passcode", [])
        print(f"\nPasscode step alone ({len(values)} prepared sign-ins completed): {len(values) / elapsed:.0f} per s "
              f"= {len(values) / elapsed / bare_rate:.2f} x the bare route; p50 {percentile(values, 50) * 1000:.1f} ms; "
              f"errors: {sum(errors.values())} {errors or ''}")

        # 6. Does the second step slow down as accounts pile up? Rounds alternate between the two
        #    databases so that a change in the machine's other load hits both alike.
        if args.database_url and not args.no_scale:
            print("\n(The 1,000 vs 1,000,000 accounts comparison runs on SQLite only: it needs two databases.)")
        elif not args.no_scale:
            sizes, urls, samples_by_size = (1000, args.big), {}, {}
            for size in sizes:
                urls[size] = fresh_database(directory, f"scale{size}", args)
                started = time.monotonic()
                seed(urls[size], size, CHEAPEST_ARGON2)
                print(f"\nSeeded {size:,} accounts in {time.monotonic() - started:.0f} s")
            rounds = 3
            for round_number in range(rounds):
                for size in sizes:
                    samples, errors, _ = passcode_only(pool, directory, urls[size], args, min(args.users, 4),
                                                       prepared=args.prepared // rounds)
                    values = samples.get("POST /signin/passcode", [])
                    samples_by_size.setdefault(size, []).extend(values)
                    print(f"  round {round_number + 1}, {size:>9,} accounts: passcode step p50 "
                          f"{percentile(values, 50) * 1000:6.2f} ms over {len(values)} requests; "
                          f"errors: {sum(errors.values())}")
            medians = {size: percentile(values, 50) for size, values in samples_by_size.items()}
            print(f"  passcode step median: {medians[1000] * 1000:.2f} ms with 1,000 accounts, "
                  f"{medians[args.big] * 1000:.2f} ms with {args.big:,}: ratio "
                  f"{medians[args.big] / medians[1000]:.2f} (aim: at most 1.3)")
    print(f"\nLoad average after: {load_average()}")
    print(f"(server logs and databases in {directory})")


if __name__ == "__main__":
    main()
