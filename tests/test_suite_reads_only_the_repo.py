"""The suite reads nothing outside the repository: what a test needs ships with it (a fresh clone passes)."""
import pathlib
import re

TESTS = pathlib.Path(__file__).resolve().parent
# Places on one machine (home folders, work folders), not parts of Debian the suite installs.
MACHINE_PATH = re.compile(r"""["'](/(?:work|home|root|mnt)/[^"']*)["']""")


def test_no_test_reads_a_path_on_this_machine():
    found = [f"{path.relative_to(TESTS)}: {match.group(1)}"
             for path in sorted(TESTS.rglob("*.py")) if "vendor" not in path.parts
             for match in MACHINE_PATH.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found
