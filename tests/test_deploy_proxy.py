"""The shipped proxy configs in front of gunicorn, over TLS, as a browser sees them.

Debian's nginx runs the repository's site file (deploy/nginx/bestream.conf),
and Caddy its Caddyfile (deploy/caddy/Caddyfile), with only what must differ
on a test machine changed: the ports, the upstream's port, the certificate
(from a throw-away CA made here) and the log paths. Each of those
replacements must match the shipped text exactly, so a change to the file
cannot slip past this test unnoticed. The test owns the proxy process (its
own config, pid file and temp directories) and stops it afterwards.

Ports: neither proxy can be told to pick a free port itself and report it,
so the test asks the kernel for a free one (bind to port 0, read it, close)
and, if another process takes it before the proxy binds it, starts the proxy
again on new ports (up to five times). The client connects from 127.0.0.2
(any 127/8 address is this machine) while the proxy talks to gunicorn from
127.0.0.1, so "the IP the app records is the client's, not the proxy's" is a
real check.

`make test` installs nginx when it can (root with apt); otherwise the nginx
tests are skipped with the reason, unless REQUIRE_NGINX=1 (set by .ci/run).
Caddy is not installed by `make test` (its package starts a service on port
80 next to nginx's); its test runs where Caddy is installed.
"""
import os
import re
import shutil
import subprocess
import time

import pytest
import requests
from requests.adapters import HTTPAdapter

from fake_vonage import make_certificates
from live import PASSWORD, ROOT, LiveServer, csrf_of, free_port

SITE = os.path.join(ROOT, "deploy", "nginx", "bestream.conf")
CADDYFILE = os.path.join(ROOT, "deploy", "caddy", "Caddyfile")
PROXIES = {"nginx": lambda directory, port: Nginx(directory, port), "caddy": lambda directory, port: Caddy(directory, port)}
CLIENT_IP = "127.0.0.2"


def nginx_binary():
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("nginx is not installed (REQUIRE_NGINX=1): `make test` installs it as root with apt")
        pytest.skip("nginx is not installed: `make test` installs it when run as root with apt")
    return found


def replace_once(text, old, new):
    assert text.count(old) == 1, f"the shipped config no longer has exactly one {old!r}"
    return text.replace(old, new)


def site_for_test(directory, app_port, http_port, https_port, cert, key):
    with open(SITE, encoding="utf-8") as handle:
        site = handle.read()
    site = replace_once(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = replace_once(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = replace_once(site, "    listen [::]:80;\n", "")
    site = replace_once(site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n")
    site = replace_once(site, "    listen [::]:443 ssl http2;\n", "")
    site = replace_once(site, "/etc/letsencrypt/live/example.com/fullchain.pem", cert)
    site = replace_once(site, "/etc/letsencrypt/live/example.com/privkey.pem", key)
    site = replace_once(site, "/var/log/nginx/bestream.access.log", os.path.join(directory, "access.log"))
    site = replace_once(site, "/var/log/nginx/bestream.error.log", os.path.join(directory, "error.log"))
    return site


MAIN = """
# The test's own main config: what Debian's /etc/nginx/nginx.conf gives a site (gzip on included), no more.
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/main-error.log;
{user}
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    gzip on;
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


class Proxy:
    """A proxy process run by the test, in the foreground, in its own process group."""

    name = "proxy"

    def __init__(self, directory, app_port):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.app_port = app_port
        self.cert_dir = os.path.join(self.directory, "certs")
        os.makedirs(self.cert_dir, exist_ok=True)
        self.ca, self.cert, self.key = make_certificates(self.cert_dir)
        self.process = None

    def start(self):
        for _attempt in range(5):
            self.http_port, self.https_port = free_port(), free_port()
            command = self.configure()
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                            start_new_session=True, env=self.env())
            if self._wait_ready():
                return self
            error = self.process.stderr.read() if self.process.poll() is not None else ""
            self.stop()
            if "address already in use" not in error.lower():
                raise RuntimeError(f"{self.name} did not start: " + error)
        raise RuntimeError(f"{self.name} could not find free ports in 5 tries")

    def env(self):
        return None

    def _wait_ready(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                requests.get(self.url + "/healthz", timeout=1, verify=self.ca)
                return True
            except requests.RequestException:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=5)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.https_port}"


class Nginx(Proxy):
    """nginx -c <test main config> including the shipped site."""

    name = "nginx"
    # nginx passes $host, without the port, as it is in production on port 443.
    origin = "https://127.0.0.1"

    def __init__(self, directory, app_port):
        self.binary = nginx_binary()
        super().__init__(directory, app_port)

    def configure(self):
        with open(os.path.join(self.directory, "site.conf"), "w", encoding="utf-8") as handle:
            handle.write(site_for_test(self.directory, self.app_port, self.http_port, self.https_port,
                                       self.cert, self.key))
        # As root, nginx's workers would become "nobody", who cannot enter pytest's private tmp dir.
        user = "user root;" if os.geteuid() == 0 else ""
        config = os.path.join(self.directory, "nginx.conf")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(MAIN.format(dir=self.directory, user=user))
        check = subprocess.run([self.binary, "-t", "-q", "-c", config, "-p", self.directory],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        return [self.binary, "-c", config, "-p", self.directory, "-g", "daemon off;"]

    def access_log(self):
        with open(os.path.join(self.directory, "access.log"), encoding="utf-8") as handle:
            return handle.read()


class Caddy(Proxy):
    """caddy run with the shipped Caddyfile: the site's address and certificate set for the test."""

    name = "caddy"

    def __init__(self, directory, app_port):
        self.binary = shutil.which("caddy")
        if self.binary is None:
            pytest.skip("caddy is not installed (make test does not install it)")
        super().__init__(directory, app_port)

    @property
    def origin(self):
        return self.url  # Caddy passes the Host header as the browser sent it, port included

    def configure(self):
        with open(CADDYFILE, encoding="utf-8") as handle:
            caddyfile = handle.read()
        caddyfile = replace_once(caddyfile, "example.com {\n",
                                 f"https://127.0.0.1:{self.https_port} {{\n\ttls {self.cert} {self.key}\n")
        caddyfile = replace_once(caddyfile, "reverse_proxy 127.0.0.1:8000 {",
                                 f"reverse_proxy 127.0.0.1:{self.app_port} {{")
        caddyfile = replace_once(caddyfile, "/var/log/caddy/bestream.access.log",
                                 os.path.join(self.directory, "access.log"))
        options = (f"{{\n\tadmin off\n\thttp_port {self.http_port}\n\thttps_port {self.https_port}\n"
                   f"\tstorage file_system {self.directory}/data\n}}\n")
        path = os.path.join(self.directory, "Caddyfile")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(options + caddyfile)
        return [self.binary, "run", "--config", path, "--adapter", "caddyfile"]

    def env(self):
        return {"PATH": os.environ["PATH"], "HOME": self.directory, "XDG_DATA_HOME": self.directory,
                "XDG_CONFIG_HOME": self.directory}

    def access_log(self):
        with open(os.path.join(self.directory, "access.log"), encoding="utf-8") as handle:
            return handle.read()


class FromAddress(HTTPAdapter):
    """Connect from another loopback address, like a client on another machine."""

    def __init__(self, source, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(params=["nginx", "caddy"])
def stack(request, tmp_path, monkeypatch):
    if request.param == "nginx":
        nginx_binary()  # skip (or fail under REQUIRE_NGINX) before starting anything
    elif shutil.which("caddy") is None:
        pytest.skip("caddy is not installed (make test does not install it)")
    url = f"sqlite:///{tmp_path}/app.sqlite3"
    # No e-mail confirmation: the account signs in right after sign-up (what is checked here is the proxy).
    server = LiveServer(tmp_path, url, workers=2, threads=2, TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=1,
                        EMAIL_VERIFICATION=0)
    with server:
        proxy = PROXIES[request.param](tmp_path / request.param, server.port).start()
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", proxy.ca)  # this machine sets it globally; requests obeys it
        try:
            yield server, proxy, url
        finally:
            proxy.stop()


def browser_session(proxy):
    session = requests.Session()
    session.mount("https://", FromAddress(CLIENT_IP))
    session.mount("http://", FromAddress(CLIENT_IP))
    session.verify = proxy.ca
    session.headers["Accept-Encoding"] = "br, gzip, deflate"
    # Over HTTPS Flask-WTF wants a same-origin Referer, as browsers send it.
    session.headers["Referer"] = proxy.origin + "/signup"
    return session


def test_through_the_proxy_tls_secure_cookies_hsts_the_real_client_ip_and_compressed_cached_static(stack):
    server, proxy, url = stack
    session = browser_session(proxy)

    page = session.get(proxy.url + "/signup", timeout=10)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert len(page.raw.headers.getlist("Strict-Transport-Security")) == 1
    # Pages are never compressed, even when the browser asks: with the CSRF token inside, their sizes
    # would leak it (BREACH). Debian's nginx.conf has `gzip on`: the site must switch it off.
    assert "Content-Encoding" not in page.headers
    # The proxy's own request id (nginx's $request_id, Caddy's uuid), kept by the app.
    assert re.fullmatch(r"[0-9a-f]{32}|[0-9a-f-]{36}", page.headers["X-Request-ID"])

    # Sign up, then sign in claiming another IP in X-Forwarded-For: the app records the client's real address.
    response = session.post(proxy.url + "/signup", timeout=30, allow_redirects=False,
                            data={"email": "ann@example.com", "password": PASSWORD, "name": "Ann",
                                  "csrf_token": csrf_of(page.text)})
    assert response.status_code == 303, response.text[:500]
    # Sign-up only mails a confirmation link; signing in starts the session (the address may wait).
    signin = session.get(proxy.url + "/signin", timeout=10)
    response = session.post(proxy.url + "/signin", timeout=30, allow_redirects=False,
                             headers={"X-Forwarded-For": "198.51.100.7", "Referer": proxy.origin + "/signin"},
                             data={"email": "ann@example.com", "password": PASSWORD,
                                   "csrf_token": csrf_of(signin.text)})
    assert response.status_code == 303, response.text[:500]
    cookies = response.raw.headers.getlist("Set-Cookie")  # the session, and the known-browser mark (issue 13)
    assert sorted(c.split("=", 1)[0] for c in cookies) == ["__Host-device", "__Host-session"]
    for cookie in cookies:
        assert "; Secure" in cookie and "; HttpOnly" in cookie
        assert "; Path=/" in cookie and "Domain=" not in cookie  # what __Host- requires
    from live import Records
    from models import SecurityEvent

    records = Records(url)
    with records.database.connection_context():
        event = SecurityEvent.select().order_by(SecurityEvent.id.desc()).first()
    assert (event.kind, event.ip) == ("signin", CLIENT_IP)
    assert session.get(proxy.url + "/dashboard", timeout=10, allow_redirects=False).status_code == 200

    # Static files: compressed, cached for a long time.
    static_paths = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page.text)
    assert static_paths
    for path in static_paths:
        asset = session.get(proxy.url + path, timeout=10, headers={"Accept-Encoding": "br, gzip"})
        assert asset.status_code == 200
        assert asset.headers["Content-Encoding"] in ("br", "gzip"), path
        max_age = int(re.search(r"max-age=(\d+)", asset.headers["Cache-Control"]).group(1))
        assert max_age >= 30 * 24 * 3600, (path, asset.headers["Cache-Control"])

    # The proxy's access log has the client's address (and nginx's, the same request id).
    access = proxy.access_log()
    assert CLIENT_IP in access
    if proxy.name == "nginx":
        assert f"{CLIENT_IP} [" in access and page.headers["X-Request-ID"] in access


def test_through_the_proxy_http_redirects_probes_answer_and_metrics_stay_inside(stack):
    server, proxy, url = stack
    session = browser_session(proxy)
    plain = session.get(f"http://127.0.0.1:{proxy.http_port}/signin", timeout=10, allow_redirects=False)
    assert plain.status_code in (301, 308) and plain.headers["Location"].startswith("https://127.0.0.1")
    assert session.get(proxy.url + "/healthz", timeout=10).text == "ok\n"
    assert session.get(proxy.url + "/readyz", timeout=10).text == "ready\n"
    assert session.get(proxy.url + "/metrics", timeout=10).status_code == 404
    # Bodies over the app's limit stop at nginx.
    big = session.post(proxy.url + "/signin", data={"email": "x" * 70000}, timeout=10)
    assert big.status_code == 413
