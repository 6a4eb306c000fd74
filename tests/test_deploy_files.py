"""Every file in deploy/ does what the README says (nginx and Caddy running: tests/test_deploy_proxy.py).

- bestream.env.example lists every setting of config.py (and gunicorn.conf.py's) exactly once, loads,
  and as shipped refuses to start (no SECRET_KEY) rather than run with a known key.
- The systemd units pass `systemd-analyze verify`, and their commands, run with the example settings,
  really start the server (it answers /readyz) and really purge.
- The Caddyfile is accepted by Caddy (when Caddy is installed) and sends traffic where nginx does.
"""
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import requests

from config import SETTINGS, load_settings, secret_key_problem
from live import ROOT, SECRET_KEY, free_port

DEPLOY = os.path.join(ROOT, "deploy")
ENV_EXAMPLE = os.path.join(DEPLOY, "bestream.env.example")
UNITS = os.path.join(DEPLOY, "systemd")
GUNICORN_SETTINGS = {"GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
                     "FORWARDED_ALLOW_IPS"}
LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]+)=(.*)$")


def env_example():
    """(every name listed, {name: value} of the lines that are not commented out)."""
    listed, values = [], {}
    with open(ENV_EXAMPLE, encoding="utf-8") as handle:
        for line in handle:
            match = LINE.match(line.rstrip("\n"))
            if match:
                listed.append(match.group(2))
                if not match.group(1):
                    values[match.group(2)] = match.group(3)
    return listed, values


def unit(name):
    with open(os.path.join(UNITS, name), encoding="utf-8") as handle:
        return handle.read()


def unit_values(text, key):
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def test_the_example_env_file_lists_every_setting_once_and_loads():
    listed, values = env_example()
    expected = {name for name, *_ in SETTINGS} | GUNICORN_SETTINGS
    duplicates = {name for name in listed if listed.count(name) > 1}
    # DATABASE_URL appears twice on purpose: SQLite set, PostgreSQL as a commented alternative.
    assert duplicates <= {"DATABASE_URL", "RATELIMIT_STORAGE_URI"}
    assert set(listed) == expected
    settings = load_settings(values)  # every value parses
    assert settings["TRUSTED_PROXIES"] == 1 and settings["SMS_BACKEND"] == "vonage"
    assert settings["LOG_FORMAT"] == "json" and settings["METRICS_BIND"] == "127.0.0.1:9150"
    # Unedited, it cannot run with a secret key everyone can read here.
    assert secret_key_problem(settings["SECRET_KEY"]) == "SECRET_KEY is not set."


def _templated_units(tmp_path, env_file):
    """The units as shipped, with /srv/bestream, the env file and the user changed for this machine."""
    user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
    paths = []
    for name in ("bestream.service", "bestream-purge.service", "bestream-purge.timer"):
        text = unit(name).replace("/srv/bestream", ROOT).replace("/etc/bestream.env", str(env_file))
        text = text.replace("User=bestream", f"User={user}").replace("Group=bestream", f"Group={user}")
        path = tmp_path / name
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    env_file = tmp_path / "bestream.env"
    env_file.write_text("")
    result = subprocess.run(["systemd-analyze", "verify", *_templated_units(tmp_path, env_file)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # Unknown keys and bad values are only warnings to systemd: none is allowed here.
    assert not [line for line in result.stderr.splitlines() if "bestream" in line], result.stderr


def test_the_units_commands_start_the_server_and_purge_with_the_example_settings(tmp_path):
    service, purge = unit("bestream.service"), unit("bestream-purge.service")
    assert unit_values(service, "EnvironmentFile") == unit_values(purge, "EnvironmentFile") == ["/etc/bestream.env"]
    assert unit_values(service, "WorkingDirectory") == unit_values(purge, "WorkingDirectory") == ["/srv/bestream"]
    assert "OnCalendar=daily" in unit("bestream-purge.timer")
    _, env = env_example()
    # What an operator fills in, and what must differ on a test machine (ports, Redis, paths).
    metrics_port = free_port()
    env.update(SECRET_KEY=SECRET_KEY, DATABASE_URL=f"sqlite:///{tmp_path}/app.sqlite3",
               SMS_BACKEND="outbox", SMS_OUTBOX_IN_PRODUCTION="1", RATELIMIT_STORAGE_URI="database://",
               GUNICORN_BIND=f"127.0.0.1:{free_port()}", METRICS_BIND=f"127.0.0.1:{metrics_port}",
               MAIL_SERVER="127.0.0.1", MAIL_USERNAME="", MAIL_PASSWORD="")
    for assignment in " ".join(unit_values(service, "Environment")).split():
        name, value = assignment.split("=", 1)
        env[name] = value.replace("/run/bestream", str(tmp_path / "run"))
    env = {key: value for key, value in env.items() if value != ""}
    env["PATH"] = os.environ["PATH"]
    os.makedirs(tmp_path / "run", exist_ok=True)  # systemd's RuntimeDirectory=

    def command(text):
        (line,) = unit_values(text, "ExecStart")
        return [part.replace("/srv/bestream", ROOT) for part in line.split()]

    server = subprocess.Popen(command(service), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = "http://" + env["GUNICORN_BIND"]
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = requests.get(base + "/readyz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert ready is not None and ready.text == "ready\n", server.poll()
        metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert "bestream_sms_budget_left 1000.0" in metrics.text
    finally:
        os.killpg(server.pid, 15)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert '"logger": "gunicorn.error"' in output  # LOG_FORMAT=json from the example file
    purged = subprocess.run(command(purge), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("Deleted: ")


def test_the_caddyfile_is_valid_and_proxies_like_the_nginx_site(tmp_path):
    with open(os.path.join(DEPLOY, "caddy", "Caddyfile"), encoding="utf-8") as handle:
        caddyfile = handle.read()
    with open(os.path.join(DEPLOY, "nginx", "bestream.conf"), encoding="utf-8") as handle:
        nginx = handle.read()
    upstream = re.search(r"reverse_proxy (\S+)", caddyfile).group(1)
    assert f"server {upstream};" in nginx and upstream == "127.0.0.1:8000"
    assert not re.search(r"^\s*encode", caddyfile, re.MULTILINE)  # pages are never compressed (BREACH)
    assert re.search(r"^\s*respond /metrics 404", caddyfile, re.MULTILINE)
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed: only the Caddyfile's text was checked")
    result = subprocess.run([caddy, "adapt", "--config", os.path.join(DEPLOY, "caddy", "Caddyfile"),
                             "--adapter", "caddyfile"], capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert '"upstreams":[{"dial":"127.0.0.1:8000"}]' in result.stdout
    assert "WARN" not in result.stderr, result.stderr
