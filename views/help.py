"""Help articles (/help/<slug>) and their "Was this article helpful?" Yes / No votes.

Anyone can read an article; signed-in users can vote, once per article, and
change their answer. Without JavaScript a vote is a form POST answered with
a 303 back to the article; with htmx only the vote fragment is swapped.
The rules (which articles exist, one vote per user) are in help_articles.py.
"""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

import help_articles
from views.forms import VoteForm, first_error
from views.htmx import go_full, is_htmx, page
from views.i18n import text
from views.messages import RELOAD, THANKS_FOR_FEEDBACK
from views.web import policy

bp = Blueprint("help", __name__, url_prefix="/help")

# slug -> the article's template; every slug is also in help_articles.ARTICLES.
TEMPLATES = {
    "two-step-verification": "help/two_step_verification.html",
    "two-step-verification-code": "help/two_step_verification_code.html",
    "lost-phone-and-recovery-code": "help/lost_phone.html",
}
VOTE_FRAGMENT = "help/_vote.html"


def _template(slug):
    if slug not in TEMPLATES:
        abort(404)
    return TEMPLATES[slug]


def _vote(slug, form=None, error=None, thanks=False):
    """What help/_vote.html shows: the tally, this user's answer, and the form."""
    helpful, total = help_articles.tally(slug)
    mine = help_articles.users_vote(current_user.id, slug) if current_user.is_authenticated else None
    return {"slug": slug, "helpful": helpful, "total": total, "mine": mine, "thanks": thanks, "error": error,
            "form": form or VoteForm(formdata=None)}


def _article_context(slug, **vote):
    minutes = policy().passcode_ttl // 60
    return {"title": text(help_articles.title(slug)), "policy": policy(), "ttl_minutes": minutes, "vote": _vote(slug, **vote),
            "support_contact": current_app.config.get("SUPPORT_CONTACT")}


@bp.get("")
def index():
    """The list of help articles."""
    return page("help/index.html", articles={slug: text(title) for slug, title in help_articles.ARTICLES.items()})


@bp.get("/<slug>")
def article(slug):
    """One help article, ending with "Was this article helpful?"."""
    return page(_template(slug), **_article_context(slug))


@bp.post("/<slug>/vote")
def vote(slug):
    """Yes / No: record or change this user's vote; htmx gets the vote fragment, a browser a 303."""
    template = _template(slug)
    article_url = url_for("help.article", slug=slug)
    if not current_user.is_authenticated:
        return go_full(url_for("signin.password", next=article_url))
    form = VoteForm()
    if not form.validate_on_submit():
        error = first_error(form) or text(RELOAD)
        if is_htmx():
            return _fragment(_vote(slug, form=form, error=error), 400)
        return page(template, status=400, **_article_context(slug, form=form, error=error))
    help_articles.vote(current_user.id, slug, help_articles.read_vote(form.helpful.data))
    if is_htmx():
        return _fragment(_vote(slug, thanks=True), 200)
    flash(text(THANKS_FOR_FEEDBACK), "vote")
    return redirect(article_url + "#helpful", code=303)


def _fragment(vote, status):
    """Just the vote block, which htmx swaps in place of the old one (hx-swap=outerHTML)."""
    response = make_response(render_template(VOTE_FRAGMENT, vote=vote), status)
    response.vary.add("HX-Request")
    return response
