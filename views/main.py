"""The Dashboard: the first page after sign-in (help article STEP 1)."""
from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from views.htmx import page

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Send visitors to the Dashboard or to sign-in."""
    return redirect(url_for("main.dashboard" if current_user.is_authenticated else "auth.signin"))


@bp.get("/dashboard")
@login_required
def dashboard():
    """The Dashboard, with its link to the Account page."""
    return page("dashboard.html")
