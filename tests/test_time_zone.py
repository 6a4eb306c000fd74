"""Times in the user's own time zone: the site's TIME_ZONE, and each user's choice on the Account page.

Every page (Account, Security activity, the messages after a change) and
every e-mail shows times in the reader's zone, with the zone written after
the time. The clock is set, never read, so the zone's date line is crossed
on purpose.
"""
import datetime

import pytest
from conftest import deliver_mail, make_test_app

# 23:28 UTC on Dec 2: Dec 3 08:28 in Tokyo, Dec 2 15:28 in Los Angeles. Off lasts 7 days.
START = datetime.datetime(2026, 12, 2, 23, 28)


def user_row():
    from models import User, db

    with db.connection_context():
        return User.get()


def last_mail():
    from models import MailMessage, db

    with db.connection_context():
        return MailMessage.select().order_by(MailMessage.id.desc()).first()


def turn_off(client, auth):
    auth.step_up()
    return client.post("/two-step/off", follow_redirects=True).get_data(as_text=True)


@pytest.fixture
def enrolled(auth, clock):
    clock.set(START)
    auth.signup()
    auth.enrol()


def test_the_site_time_zone_is_used_by_default(app, client, auth, enrolled):
    page = turn_off(client, auth)
    assert "Two-step verification is off until Dec 10, 2026, 08:28 JST." in page
    assert "Turned off until Dec 10, 2026, 08:28 JST;" in page
    assert "Times on these pages and in our e-mails are shown in Japan Time." in page
    activity = client.get("/account/activity").get_data(as_text=True)
    assert "Dec 3, 2026, 08:28 JST" in activity and "until Dec 10, 2026, 08:28 JST" in activity
    deliver_mail(app)
    assert "When: 2026-12-03 08:28 JST" in last_mail().body


@pytest.mark.parametrize("htmx", [False, True])
def test_a_user_chooses_a_zone_on_the_account_page_and_every_page_and_mail_follows(app, client, auth, enrolled,
                                                                                    htmx):
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="">The site&#39;s time zone (Japan Time)</option>' in page
    assert '<option value="America/Los_Angeles">United States (Los Angeles) Time</option>' in page
    response = client.post("/account/time-zone", data={"time_zone": "America/Los_Angeles"}, htmx=htmx)
    assert response.headers.get("Location") == "/account" or '"/account"' in response.headers.get("HX-Location", "")
    assert user_row().time_zone == "America/Los_Angeles"

    page = turn_off(client, auth)
    assert "Your time zone has been saved." not in page  # shown once, on the page after saving
    assert "Turned off until Dec 9, 2026, 15:28 PST;" in page
    assert "shown in United States (Los Angeles) Time." in page
    assert '<option selected value="America/Los_Angeles">' in page
    activity = client.get("/account/activity").get_data(as_text=True)
    assert "Dec 2, 2026, 15:28 PST" in activity and "JST" not in activity
    deliver_mail(app)
    assert "When: 2026-12-02 15:28 PST" in last_mail().body and "Details: until Dec 9, 2026, 15:28 PST" in \
        last_mail().body

    # Japanese pages and e-mails use the same zone, written the Japanese way.
    japanese = client.get("/account", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "2026年12月9日 15:28 PSTまでオフ" in japanese and "アメリカ合衆国（ロサンゼルス）時間" in japanese

    # Back to the site's zone.
    assert client.post("/account/time-zone", data={"time_zone": ""}).status_code == 303
    assert user_row().time_zone is None
    assert "Turned off until Dec 10, 2026, 08:28 JST;" in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 300])
def test_an_unknown_zone_is_refused_with_a_message_and_nothing_is_saved(client, auth, enrolled, bad):
    response = client.post("/account/time-zone", data={"time_zone": bad})
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    assert user_row().time_zone is None


def test_a_form_without_its_csrf_token_changes_nothing(client, auth, enrolled):
    response = client.post("/account/time-zone", data={"time_zone": "Europe/Paris"}, csrf=False)
    assert response.status_code == 400
    assert user_row().time_zone is None


@pytest.mark.settings(TIME_ZONE="Europe/Paris")
def test_the_operator_sets_the_site_zone(client, auth, enrolled):
    page = turn_off(client, auth)
    assert "Turned off until Dec 10, 2026, 00:28 CET;" in page   # across midnight in Paris too
    assert "shown in France Time." in page


def test_an_unknown_site_zone_stops_the_app_at_start(tmp_path):
    with pytest.raises(SystemExit, match="TIME_ZONE='Tokyo' is not a known time zone"):
        make_test_app(tmp_path, TIME_ZONE="Tokyo")
