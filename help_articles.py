"""Help articles and their "Was this article helpful?" votes: the rules, without Flask.

The articles themselves are templates (templates/help/); this module knows
which exist and keeps the votes: one per signed-in user per article, which
the user can change. The unique (user, article) index makes that true in the
database, and a vote is one upsert in one transaction, so two quick clicks
(or two tabs) can never leave two rows.
"""
from peewee import fn

from models import HelpVote, db
from core import clock
from core.refusals import N_

# slug -> title (a catalog message id; the views translate it). The slug is the URL (/help/<slug>) and the key of the votes.
ARTICLES = {
    "two-step-verification": N_("How do I set up two-step verification?"),
    "two-step-verification-code": N_("Two-step verification code"),
    "lost-phone-and-recovery-code": N_("Lost your phone and your recovery code?"),
}


class UnknownArticle(LookupError):
    pass


def title(slug):
    if slug not in ARTICLES:
        raise UnknownArticle(slug)
    return ARTICLES[slug]


def read_vote(raw):
    """True for "yes", False for "no", None for anything else."""
    return {"yes": True, "no": False}.get((raw or "").strip().lower())


def vote(user_id, slug, helpful):
    """Record (or change) this user's answer for this article."""
    title(slug)
    now = clock.now()
    with db.atomic():
        (HelpVote.insert(user=user_id, article=slug, helpful=bool(helpful), voted_at=now)
         .on_conflict(conflict_target=[HelpVote.user, HelpVote.article],
                      update={HelpVote.helpful: bool(helpful), HelpVote.voted_at: now})
         .execute())


def tally(slug):
    """(how many found it helpful, how many answered)."""
    helpful, total = (HelpVote.select(fn.COUNT(HelpVote.id).filter(HelpVote.helpful == True),  # noqa: E712
                                      fn.COUNT(HelpVote.id))
                      .where(HelpVote.article == slug).scalar(as_tuple=True))
    return helpful or 0, total or 0


def users_vote(user_id, slug):
    """True, False, or None when this user has not answered."""
    row = HelpVote.get_or_none(HelpVote.user == user_id, HelpVote.article == slug)
    return None if row is None else row.helpful
