"""The baseline: a bare Flask route, served by the same gunicorn settings as the app (bench/run.py)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The cheapest page Flask can serve: what our pages are compared with."""
    return "ok"
