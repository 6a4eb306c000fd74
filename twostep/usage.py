"""What the SMS cost: counts by purpose and country, the budget left, an estimated bill.

Read from the SMS records (models.SmsRecord), which the purge keeps for 30
days. "Today" is the UTC day so far; the budget is the global cap's own
window, the last 24 hours. The estimated cost counts sent and failed SMS
(a failed send may still have been delivered and billed: the caps count it
too) at the operator's per-country prices (SMS_PRICES); refused ones cost
nothing, they were never handed to the provider.
"""
import datetime
from collections import defaultdict
from decimal import Decimal

from peewee import fn

from core.phones import country_of
from models import SmsRecord
from core import clock
from twostep import limits

RESULTS = ("sent", "failed", "refused")
BILLED = ("sent", "failed")


def _counts(since):
    """{(purpose, country): {result: count}} for SMS records created at or after `since`."""
    rows = (SmsRecord.select(SmsRecord.purpose, SmsRecord.phone, SmsRecord.status, fn.COUNT(SmsRecord.id))
            .where(SmsRecord.created_at >= since)
            .group_by(SmsRecord.purpose, SmsRecord.phone, SmsRecord.status).tuples())
    counts = defaultdict(lambda: dict.fromkeys(RESULTS, 0))
    for purpose, phone, status, count in rows:
        # "reserved" is a send in flight (or cut short by a crash): it was handed over, count it as sent.
        result = "sent" if status == "reserved" else status
        if result in RESULTS:
            counts[(purpose, country_of(phone))][result] += count
    return counts


def usage(daily_limit, prices, days=30):
    """Everything `flask sms usage` prints, as plain data."""
    now = clock.now()
    today = _counts(now.replace(hour=0, minute=0, second=0, microsecond=0))
    period = _counts(now - datetime.timedelta(days=days))
    rows = []
    unpriced = set()
    cost_today = cost_period = Decimal(0)
    for purpose, country in sorted(period):
        price = prices.get(country, prices.get("*"))
        if price is None:
            unpriced.add(country)
        billed_today = sum(today.get((purpose, country), {}).get(r, 0) for r in BILLED)
        billed_period = sum(period[(purpose, country)][r] for r in BILLED)
        row_cost = None if price is None else price * billed_period
        if price is not None:
            cost_today += price * billed_today
            cost_period += row_cost
        rows.append({"purpose": purpose, "country": country,
                     "today": today.get((purpose, country), dict.fromkeys(RESULTS, 0)),
                     "period": period[(purpose, country)], "cost": row_cost})
    used = limits.sms_used_last_day(now)
    return {"now": now, "days": days, "rows": rows, "unpriced": sorted(unpriced),
            "budget_left": max(0, daily_limit - used), "daily_limit": daily_limit,
            "cost_today": cost_today, "cost_period": cost_period}
