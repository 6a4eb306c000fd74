"""The SMS caps hold under parallel requests (checklist items 8, 12, 34).

Reserve-then-count: each attempt commits its row, then counts every committed
row in the window, itself included. Parallel attempts may all be refused at
the edge of a cap, but never more than the cap get through.
"""
import threading

import pytest

from twostep import limits
from twostep.errors import SmsCapReached


def reserve_in_parallel(app, attempts, **kwargs):
    from models import User, db

    with db.connection_context():
        user = User.create(email="ann@example.com", name="Ann", password_hash="x")
    policy = app.extensions["policy"]
    barrier = threading.Barrier(attempts)
    outcomes = []

    def attempt(i):
        with db.connection_context():
            barrier.wait()
            try:
                limits.reserve_sms(policy, user_id=user.id, phone=kwargs.get("phone", f"+8190{i:08d}"),
                                   ip="203.0.113.9", purpose="signin", to_confirmed=True)
                outcomes.append("allowed")
            except SmsCapReached:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.settings(SMS_PER_ACCOUNT_HOUR=5)
def test_parallel_attempts_never_pass_the_account_cap(app):
    outcomes = reserve_in_parallel(app, 16)
    assert len(outcomes) == 16
    assert 1 <= outcomes.count("allowed") <= 5


@pytest.mark.settings(SMS_DAILY_LIMIT=3, SMS_PER_ACCOUNT_HOUR=100, SMS_PER_ACCOUNT_DAY=100)
def test_parallel_attempts_never_pass_the_global_budget(app):
    outcomes = reserve_in_parallel(app, 12)
    assert 1 <= outcomes.count("allowed") <= 3
