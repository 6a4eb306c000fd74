"""The code's layers, drawn from its imports: each imports only those below it, and nothing goes round.

From the bottom: core/ (clock, tokens, refusals, phones, catalogs) and
config.py; models.py; the senders (sms/, mail/); accounts/; twostep/; the
other rules (help_articles.py, purge.py); views/; cli.py; app.py. Imports
inside functions count too: a circle dodged that way is still a circle.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top-level name -> its floor. An import may stay on its floor or go down, never up.
FLOORS = {
    "core": 0, "config": 0,
    "models": 1, "migrations": 2,
    "sms": 2, "mail": 2,
    "accounts": 3,
    "twostep": 4,
    "help_articles": 5, "purge": 5,
    "views": 6,
    "cli": 7,
    "app": 8, "gallery_shots": 9, "gunicorn_conf": 9,
}
WEB = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "jinja2",
       "jinja2_fragments")


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts).replace("gunicorn.conf", "gunicorn_conf")


def _sources():
    """{module name: path} for the app's own code (not tests, benchmarks or the virtualenv)."""
    found = {}
    for path in ROOT.rglob("*.py"):
        top = path.relative_to(ROOT).parts[0]
        if top in ("tests", "bench", ".venv", "test-artifacts", "instance") or top.startswith("."):
            continue
        found[_module_name(path)] = path
    return found


def _imports(path, modules):
    """The names of our own modules `path` imports, and the third-party top-level names."""
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from a import b` imports the module a.b when there is one, else a name from a.
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in FLOORS or name in modules:
                ours.add(name)
            else:
                theirs.add(name.split(".")[0])
    return ours, theirs


def _graph():
    modules = _sources()
    return modules, {name: _imports(path, modules) for name, path in modules.items()}


def _floor(module):
    return FLOORS[module.split(".")[0]]


def test_every_module_has_a_floor():
    modules, _ = _graph()
    assert sorted(m for m in modules if m.split(".")[0] not in FLOORS) == []


def test_no_import_runs_back_up():
    _, graph = _graph()
    upward = sorted(f"{m} -> {target}" for m, (ours, _) in graph.items() for target in ours
                    if _floor(target) > _floor(m))
    assert upward == []


def test_no_circle():
    _, graph = _graph()
    edges = {m: {t for t in ours if t in graph and t != m} for m, (ours, _) in graph.items()}
    circles = []
    # Tarjan's strongly connected components: any with more than one module is a circle.
    index, low, stack, on_stack, counter = {}, {}, [], set(), [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_no_view_touches_the_models():
    _, graph = _graph()
    assert sorted(m for m, (ours, _) in graph.items()
                  if m.startswith("views") and any(t.split(".")[0] == "models" for t in ours)) == []


def test_nothing_below_the_views_imports_flask():
    _, graph = _graph()
    assert sorted(f"{m} -> {lib}" for m, (_, theirs) in graph.items() for lib in theirs
                  if _floor(m) < FLOORS["views"] and lib in WEB) == []


def test_the_graph_is_read_from_the_code():
    """The graph is really read: today's known edges are in it."""
    _, graph = _graph()
    assert "models" in graph["twostep.challenges"][0]
    assert "flask" in graph["views.htmx"][1]
