"""The help articles and "Was this article helpful?", as a plain browser and with htmx.

Anyone can read; a signed-in user has one vote per article and can change
it; "N out of M found this helpful" counts every user's current answer.
"""
import html
import pathlib
import re

import pytest

from conftest import join_all

SETUP = "/help/two-step-verification"
CODE = "/help/two-step-verification-code"
# The help article the product follows, shipped with the repo (docs/).
SEED = pathlib.Path(__file__).resolve().parent.parent / "docs" / "how-do-i-set-up-two-step-verification.txt"


def _text(response):
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def _votes():
    from models import HelpVote, db

    with db.connection_context():
        return [(v.user_id, v.article, v.helpful) for v in HelpVote.select().order_by(HelpVote.id)]


def test_the_setup_article_is_the_help_article_word_for_word(client):
    response = client.get(SETUP)
    assert response.status_code == 200
    page = _text(response)
    seed = SEED.read_text(encoding="utf-8")
    skipped = ("PC, Tablet / Smartphone", "For more information, see:", "Was this article helpful?",
               "0 out of 0 found this helpful")
    for line in seed.splitlines():
        line = " ".join(line.replace("•", "").split())
        if not line or line.startswith(skipped):
            continue
        assert line in page, line
    assert "For more information, see: Two-step verification code" in page
    # It ends, as the original does, with the question and the tally.
    assert "click \"Enable\". Was this article helpful? Sign in to vote. 0 out of 0 found this helpful" in page
    assert "0 out of 0 found this helpful" in page


def test_the_code_article_tells_the_rules_the_site_enforces(client):
    page = _text(client.get(CODE))
    assert "Two-step verification code" in page
    assert "valid for 5 minutes" in page
    assert '"Resend" sends a new passcode, and the earlier one stops working' in page
    assert 'select "Try another method"' in page and 'Select "Recovery code"' in page
    assert "resend 30 seconds after" in page and "After 5 wrong entries" in page
    assert "0 out of 0 found this helpful" in page


@pytest.mark.settings(PASSCODE_TTL_SECONDS=600)
def test_the_articles_follow_the_operators_settings(client):
    assert "The authorization code is due in 10 minutes." in _text(client.get(SETUP))
    assert "valid for 10 minutes" in _text(client.get(CODE))


def test_account_page_links_to_the_setup_article(client, auth):
    auth.signup()
    page = client.get("/account").get_data(as_text=True)
    section = page.split('id="two-step-heading"')[1]
    assert f'href="{SETUP}"' in section and "How do I set up two-step verification?" in section
    assert client.get("/help").status_code == 200


def test_anonymous_visitors_read_but_are_asked_to_sign_in_to_vote(client):
    page = client.get(CODE).get_data(as_text=True)
    assert 'name="helpful"' not in page
    assert f'href="/signin?next={CODE}"' in page and "to vote." in page
    response = client.post(f"{CODE}/vote", data={"helpful": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == f"/signin?next={CODE}"
    response = client.post(f"{CODE}/vote", data={"helpful": "yes"}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/signin?next={CODE}"
    assert _votes() == []


def test_plain_vote_303_then_change_it_one_row_per_user(client, auth):
    auth.signup()
    page = client.get(SETUP).get_data(as_text=True)
    assert 'aria-pressed="true"' not in page
    response = client.post(f"{SETUP}/vote", data={"helpful": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{SETUP}#helpful"
    page = client.get(SETUP).get_data(as_text=True)
    assert "1 out of 1 found this helpful" in page
    assert "Thank you for your feedback." in page
    assert re.search(r'value="yes" class="button" aria-pressed="true"', page)
    assert "You answered Yes." in page
    assert "Thank you for your feedback." not in client.get(SETUP).get_data(as_text=True)  # shown once

    assert client.post(f"{SETUP}/vote", data={"helpful": "no"}).status_code == 303
    assert "0 out of 1 found this helpful" in client.get(SETUP).get_data(as_text=True)
    assert [(article, helpful) for _, article, helpful in _votes()] == [("two-step-verification", False)]
    # Votes are per article.
    assert "0 out of 0 found this helpful" in client.get(CODE).get_data(as_text=True)


def test_htmx_vote_swaps_only_the_vote_fragment(client, auth):
    auth.signup()
    response = client.post(f"{CODE}/vote", data={"helpful": "yes"}, htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="vote" id="helpful"')
    assert "<html" not in fragment and "The 6-digit passcode" not in fragment
    assert "1 out of 1 found this helpful" in fragment and "Thank you for your feedback." in fragment
    assert 'hx-target="#helpful"' in fragment and 'hx-swap="outerHTML"' in fragment
    assert 'name="csrf_token"' in fragment  # the next click works as well
    fragment = client.post(f"{CODE}/vote", data={"helpful": "no"}, htmx=True).get_data(as_text=True)
    assert "0 out of 1 found this helpful" in fragment and "You answered No." in fragment
    # Navigating to the article with htmx gets the main block only.
    main = client.get(CODE, htmx=True).get_data(as_text=True)
    assert "<html" not in main and "Was this article helpful?" in main


def test_every_users_current_answer_is_counted(client, auth):
    auth.signup("ann@example.com")
    client.post(f"{SETUP}/vote", data={"helpful": "yes"})
    auth.signout()
    auth.signup("bob@example.com")
    client.post(f"{SETUP}/vote", data={"helpful": "yes"})
    client.post(f"{SETUP}/vote", data={"helpful": "yes"})  # voting the same again changes nothing
    auth.signout()
    auth.signup("cid@example.com")
    client.post(f"{SETUP}/vote", data={"helpful": "no"})
    assert "2 out of 3 found this helpful" in client.get(SETUP).get_data(as_text=True)
    assert len(_votes()) == 3


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("value", ["maybe", "", None])
def test_a_vote_that_is_neither_yes_nor_no_is_refused(client, auth, htmx, value):
    auth.signup()
    response = client.post(f"{SETUP}/vote", data={"helpful": value}, htmx=htmx)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Choose Yes or No." in body
    assert ("<html" in body) is not htmx
    assert _votes() == []


def test_a_vote_without_csrf_token_is_refused(client, auth):
    auth.signup()
    response = client.post(f"{SETUP}/vote", data={"helpful": "yes"}, csrf=False)
    assert response.status_code == 400
    assert _votes() == []


def test_unknown_articles_do_not_exist(client, auth):
    assert client.get("/help/no-such-article").status_code == 404
    auth.signup()
    assert client.post("/help/no-such-article/vote", data={"helpful": "yes"}).status_code == 404
    assert _votes() == []


def test_parallel_votes_by_one_user_leave_one_row(app):
    """Two tabs clicking at once: the unique (user, article) index and the upsert keep one vote."""
    import threading

    import help_articles
    from models import User, db

    with db.connection_context():
        user = User.create(email="ann@example.com", name="Ann", password_hash="x")
    barrier = threading.Barrier(8)
    errors = []

    def click(helpful):
        try:
            with db.connection_context():
                barrier.wait()
                help_articles.vote(user.id, "two-step-verification", helpful)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=click, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert len(_votes()) == 1
    with db.connection_context():
        assert help_articles.tally("two-step-verification")[1] == 1
