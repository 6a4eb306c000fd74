"""Static files: served by WhiteNoise before Flask, compressed, and cached by browsers for a year.

At start (once, in gunicorn's master) every file under static/ gets a copy
named by a hash of its content (`css/app.1a2b3c4d5e6f.css`), with brotli and
gzip versions beside it, in instance/static-build/. `url_for('static', ...)`
then gives the hashed name, so a page always links the file it was written
for, and the file can be cached as immutable: a returning browser asks for
nothing but the page. Changing a file changes its name, so nobody keeps a
stale copy.

WhiteNoise answers these requests itself (the file chosen by the browser's
Accept-Encoding, `Vary: Accept-Encoding` only), so no session, cookie or
language work is done for them. The original names still work, revalidated
on each use, for anything that links them by hand.

In debug mode (`make run`) none of this happens: Flask serves static/ as it
is, so a designer's edit shows on the next reload.
"""
import hashlib
import os
import tempfile

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from views.security_headers import CSP

BUILD_DIR = "static-build"
ONE_YEAR = 365 * 24 * 3600


def _digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def _write_atomically(target, source):
    """Copy `source` to `target` so that another process never sees half a file."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(source, "rb") as handle:
        data = handle.read()
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temporary, target)


def build(static_dir, build_dir):
    """Write hashed, compressed copies of every file in `static_dir`; return {name: hashed name}.

    A copy already there is kept: its name says its content.
    """
    compressor = Compressor(quiet=True)
    manifest = {}
    for root, _dirs, files in os.walk(static_dir):
        for name in sorted(files):
            source = os.path.join(root, name)
            relative = os.path.relpath(source, static_dir).replace(os.sep, "/")
            base, extension = os.path.splitext(relative)
            hashed = f"{base}.{_digest(source)}{extension}"
            target = os.path.join(build_dir, hashed)
            if not os.path.exists(target):
                # The compressed files first: WhiteNoise offers them only if they are there when it starts.
                staging = tempfile.mkdtemp(dir=build_dir if os.path.isdir(build_dir) else None)
                try:
                    staged = os.path.join(staging, os.path.basename(hashed))
                    _write_atomically(staged, source)
                    if compressor.should_compress(staged):
                        for compressed in compressor.compress(staged):
                            _write_atomically(target + compressed[len(staged):], compressed)
                    _write_atomically(target, staged)
                finally:
                    for leftover in os.listdir(staging):
                        os.remove(os.path.join(staging, leftover))
                    os.rmdir(staging)
            manifest[relative] = hashed
    return manifest


class _WhiteNoise(WhiteNoise):
    FOREVER = ONE_YEAR  # "immutable" already tells browsers never to ask again; a year is what HTTP caches honour


def _static_headers(headers, _path, _url):
    # Files are not pages, but an SVG opened on its own is a document: the same CSP and nosniff as pages.
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app):
    """Serve static/ through WhiteNoise under hashed names (not in debug mode)."""
    if app.debug:
        return
    build_dir = os.path.join(app.instance_path, BUILD_DIR)
    os.makedirs(build_dir, exist_ok=True)
    manifest = build(app.static_folder, build_dir)
    prefix = app.static_url_path.strip("/") + "/"
    hashed_urls = {"/" + prefix + hashed for hashed in manifest.values()}
    served = _WhiteNoise(app.wsgi_app, max_age=0, allow_all_origins=False, add_headers_function=_static_headers,
                        immutable_file_test=lambda _path, url: url in hashed_urls)
    served.add_files(build_dir, prefix=prefix)  # the hashed names, immutable
    served.add_files(app.static_folder, prefix=prefix)  # the original names, revalidated each time
    app.wsgi_app = served
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def _hashed_static_names(endpoint, values):
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]
