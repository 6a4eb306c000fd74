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

VOTE_FRAGMENT = "help/_vote.html"


def template(slug):
    """An article's template: help/<slug with underscores>.html, for the slugs in help_articles.ARTICLES."""
    if slug not in help_articles.ARTICLES:
        abort(404)
    return f"help/{slug.replace('-', '_')}.html"


def vote_context(slug, helpful, total, mine=None, form=None, error=None, thanks=False):
    """What help/_vote.html shows: the tally, this user's answer (None: not answered), and the form."""
    return {"slug": slug, "helpful": helpful, "total": total, "mine": mine, "thanks": thanks, "error": error,
            "form": form or VoteForm(formdata=None)}


def _vote(slug, **shown):
    """The vote block as stored: the tally and the signed-in user's answer."""
    helpful, total = help_articles.tally(slug)
    mine = help_articles.users_vote(current_user.id, slug) if current_user.is_authenticated else None
    return vote_context(slug, helpful, total, mine, **shown)


def article_context(slug, vote):
    """An article page's variables: its title, the passcode settings it quotes, whom to ask for help, and its
    vote block."""
    return {"title": text(help_articles.title(slug)), "policy": policy(), "ttl_minutes": policy().passcode_ttl // 60,
            "vote": vote, "support_contact": current_app.config.get("SUPPORT_CONTACT")}


def index_context():
    """help/index.html's variables: every article's title, in the reader's language."""
    return {"articles": {slug: text(title) for slug, title in help_articles.ARTICLES.items()}}


@bp.get("")
def index():
    """The list of help articles."""
    return page("help/index.html", **index_context())


@bp.get("/<slug>")
def article(slug):
    """One help article, ending with "Was this article helpful?"."""
    return page(template(slug), **article_context(slug, _vote(slug)))


@bp.post("/<slug>/vote")
def vote(slug):
    """Yes / No: record or change this user's vote; htmx gets the vote fragment, a browser a 303."""
    article_template = template(slug)
    article_url = url_for("help.article", slug=slug)
    if not current_user.is_authenticated:
        return go_full(url_for("signin.password", next=article_url))
    form = VoteForm()
    if not form.validate_on_submit():
        error = first_error(form) or text(RELOAD)
        if is_htmx():
            return _fragment(_vote(slug, form=form, error=error), 400)
        return page(article_template, status=400, **article_context(slug, _vote(slug, form=form, error=error)))
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
