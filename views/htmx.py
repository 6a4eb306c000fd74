"""The one place that decides between a whole page and an htmx fragment.

Every page template fills the block `main`. A normal request gets the page;
an htmx request (not boosted, not a history restore) gets that block only.
After a successful POST, a normal browser gets a 303 redirect and htmx gets
`HX-Location`, which swaps the next step into `#main` and updates the URL.

A step with a form answers with `form_page()` (its first error and 422 when
the submitted form is invalid) or `refused()` (a rule said no: its message,
its status and, for caps, Retry-After).
"""
import json
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block

from views.forms import first_error
from views.i18n import error_text
from views.web import add_vary

FRAGMENT_BLOCK = "main"


def is_htmx():
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def page(template, status=200, **context):
    """Render `template` as a page or as its `main` block; always `Vary: HX-Request`."""
    if is_htmx():
        body = render_block(template, FRAGMENT_BLOCK, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    add_vary(response, "HX-Request")
    return response


def whole_page(template, status=200, **context):
    """The whole page, also for htmx (swapped into <body>): for an answer that signs the user in,
    so the header's links change too, when the page cannot be a redirect (a code shown once)."""
    response = make_response(render_template(template, **context), status)
    if is_htmx():
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML"
    add_vary(response, "HX-Request")
    return response


def _current_path():
    """The path of the page htmx is on (HX-Current-URL), or None when the header is unusable."""
    try:
        return urlsplit(request.headers.get("HX-Current-URL", "")).path
    except ValueError:
        return None


def go(url):
    """Move on to `url` after a successful POST (or a step the user may not open yet)."""
    if is_htmx():
        location = {"path": url, "target": "#main", "swap": "innerHTML"}
        if urlsplit(url).path == _current_path():
            # The same step again (after Resend): no second history entry for the back button to land on.
            location["push"] = "false"
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps(location)
        return response
    return redirect(url, code=303)


def go_full(url):
    """Move on with a full page load: used when signing in or out changes the whole page."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def form_page(template, form, **context):
    """A step's form page: 200, or 422 with the form's first error when it was submitted invalid."""
    error = first_error(form) if form.is_submitted() else None
    return page(template, status=422 if error else 200, form=form, error=error, **context)


def json_answer(body, status=200):
    """A JSON answer for static/js (passkey options): `body` is JSON text already."""
    response = make_response(body, status)
    response.mimetype = "application/json"
    return response


def json_refused(error):
    """A rule's refusal as JSON {"error": message}, with its status (static/js shows the message)."""
    return json_answer(json.dumps({"error": error_text(error)}, ensure_ascii=False), error.status)


def refused(template, error, **context):
    """Re-render `template` with the rule's message (translated), its status and, for caps, Retry-After."""
    response = page(template, status=error.status, error=error_text(error), **context)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response
