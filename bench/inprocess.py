"""In-process CPU of a whole sign-in, run by hand (not a test): no server, no other process's load.

    .venv/bin/python bench/inprocess.py                  # 300 sign-ins: CPU per sign-in and per step
    .venv/bin/python bench/inprocess.py --profile out.prof   # the same under cProfile (CPU time)
    .venv/bin/python -m pstats out.prof                  # then: sort tottime / stats 30

The app runs with the same settings as bench/run.py's cheapest-argon2 phase
(SQLite, the outbox sender, the request limit in the database), driven by
Flask's test client through the same six requests. It measures process CPU
time, so it moves much less with the machine's load than the server figures;
the bare Flask route through the same test client is printed as its baseline.
For a figure that does not move at all, run it under
`valgrind --tool=callgrind` with `--count 0` and `--count 30` and divide the
difference of the instruction counts by 30 (bench/README.md).
"""
import argparse
import collections
import cProfile
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import run as bench  # noqa: E402

STEPS = bench.STEPS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="whole sign-ins measured (after 20 to warm up)")
    parser.add_argument("--profile", help="write a cProfile (CPU time) of the measured sign-ins to this file")
    args = parser.parse_args()

    url = f"sqlite:///{tempfile.mkdtemp(prefix='bestream-inprocess-')}/inprocess.sqlite3"
    os.environ.update(bench.server_env(url, bench.CHEAPEST_ARGON2))
    bench.seed(url, 20, bench.CHEAPEST_ARGON2)
    from app import create_app
    from models import OutboxMessage, db

    app = create_app()
    client = app.test_client()
    spent = collections.Counter()

    def timed(step, call, *call_args, **kwargs):
        started = time.process_time()
        response = call(*call_args, **kwargs)
        spent[step] += time.process_time() - started
        return response

    def code_for(i):
        with db.connection_context():
            body = (OutboxMessage.select().where(OutboxMessage.phone == bench.phone_of(i))
                    .order_by(OutboxMessage.id.desc()).first().body)
        return bench.CODE_RE.search(body).group(1)

    def sign_in(i):
        page = timed(STEPS[0], client.get, "/signin")
        response = timed(STEPS[1], client.post, "/signin", data={
            "email": f"bench{i}@example.com", "password": bench.PASSWORD, "csrf_token": bench.csrf_of(page.text)})
        assert response.status_code == 303, response.status_code
        page = timed(STEPS[2], client.get, "/signin/passcode")
        response = timed(STEPS[3], client.post, "/signin/passcode",
                         data={"code": code_for(i), "csrf_token": bench.csrf_of(page.text)})
        assert response.status_code == 303, response.status_code
        page = timed(STEPS[4], client.get, "/dashboard")
        response = timed(STEPS[5], client.post, "/signout", data={"csrf_token": bench.csrf_of(page.text)})
        assert response.status_code == 303, response.status_code

    for i in range(20):
        sign_in(i)
    spent.clear()
    profile = cProfile.Profile(time.process_time) if args.profile else None
    started = time.process_time()
    if profile:
        profile.enable()
    for i in range(args.count):
        sign_in(i % 20)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    if not args.count:
        return
    total = time.process_time() - started
    print(f"In-process CPU per whole sign-in: {total * 1000 / args.count:.2f} ms "
          f"(the test client's reads of the outbox included){' under cProfile' if profile else ''}")
    for step in STEPS:
        print(f"  {step:24} {spent[step] * 1000 / args.count:6.2f} ms")
    import bare

    bare_client = bare.app.test_client()
    started = time.process_time()
    for _ in range(args.count * 6):
        bare_client.get("/")
    print(f"The bare route's 6 requests through the same test client: "
          f"{(time.process_time() - started) * 1000 / args.count:.2f} ms")


if __name__ == "__main__":
    main()
