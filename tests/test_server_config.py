"""The production server as configured in the repo (gunicorn.conf.py): workers, bind, access log."""
import os
import re
import time

import requests

from live import LiveServer


def test_gunicorn_conf_serves_with_several_workers_and_logs_paths_without_query_strings(tmp_path):
    server = LiveServer(tmp_path, f"sqlite:///{tmp_path}/app.sqlite3", workers=3, threads=2)
    with server:
        response = requests.get(server.url + "/signin?next=/account&token=SECRET-IN-QUERY", timeout=10)
        assert response.status_code == 200
        deadline = time.monotonic() + 15  # the last workers may still be starting
        while len(_processes(server)) < 1 + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_processes(server)) == 1 + 3  # the master and its workers
    log = server.log()
    assert '"GET /signin HTTP/1.1" 200' in log
    assert "SECRET-IN-QUERY" not in log and "next=" not in log
    assert f"Listening at: http://127.0.0.1:{server.port}" in log  # GUNICORN_BIND was used
    # Templates and prepared queries are made once in the master (when_ready), before the fork.
    warmed = log.index("warmed up before forking:")
    assert warmed < log.index("Booting worker")
    assert re.search(r"warmed up before forking: [1-9]\d* templates compiled, [1-9]\d* queries prepared", log)


def _processes(server):
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and _group(pid) == server.process.pid]


def _group(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None
