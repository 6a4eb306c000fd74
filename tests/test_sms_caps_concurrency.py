"""The SMS caps hold under parallel requests (checklist items 8, 12, 34).

Reservations are serialised by a lock (BEGIN IMMEDIATE on SQLite, an
advisory lock on PostgreSQL) and count before they write: of a burst of
parallel attempts exactly as many as the cap allows get through, never more,
and a burst does not get everyone refused either.
"""
import threading

import pytest

from conftest import join_all
from twostep import limits
from twostep.refusals import SmsCapReached


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
                limits.reserve_sms(policy, user_id=user.id, phone=f"+8190{i:08d}", ip="203.0.113.9",
                                   purpose="signin", to_confirmed=kwargs.get("to_confirmed", True))
                outcomes.append("allowed")
            except SmsCapReached:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert len(outcomes) == attempts, outcomes  # every attempt ended allowed or refused, none crashed
    return outcomes


@pytest.mark.settings(SMS_PER_ACCOUNT_HOUR=5, SMS_PER_ACCOUNT_DAY=100)
def test_parallel_attempts_never_pass_the_account_cap(app):
    outcomes = reserve_in_parallel(app, 16)
    assert len(outcomes) == 16
    assert outcomes.count("allowed") == 5


@pytest.mark.settings(SMS_DAILY_LIMIT=3, SMS_PER_ACCOUNT_HOUR=100, SMS_PER_ACCOUNT_DAY=100)
def test_parallel_attempts_never_pass_the_global_budget(app):
    outcomes = reserve_in_parallel(app, 12)
    assert outcomes.count("allowed") == 3


@pytest.mark.settings(SMS_NEW_NUMBERS_PER_ACCOUNT_DAY=3, SMS_PER_ACCOUNT_HOUR=100, SMS_PER_ACCOUNT_DAY=100)
def test_parallel_new_numbers_never_pass_the_cap(app):
    from models import SmsRecord, db

    outcomes = reserve_in_parallel(app, 12, to_confirmed=False)
    assert outcomes.count("allowed") == 3
    with db.connection_context():
        assert SmsRecord.select().where(SmsRecord.status == "refused").count() == 9
