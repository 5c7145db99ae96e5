"""pytest set-up shared by tests/ and sim/.

Test files are imported with ``--import-mode=importlib`` (``tests/`` mirrors the packages, so
test files in different folders share base names). Helpers live in the ``verif`` package,
installed with the project: nothing is added to ``sys.path``.
"""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # pyproject's addopts deselect the long regressions (`-m 'not slow'`); say so, and how to
    # run them, rather than leave "N deselected" to be guessed at.
    deselected = terminalreporter.stats.get("deselected", [])
    slow = [item for item in deselected if item.get_closest_marker("slow")]
    if slow:
        terminalreporter.write_line(
            f"{len(slow)} slow regression(s) not run (marker 'slow'): run them with "
            "`make regress` or `pytest -m slow`")
    # Tests that record a one-line "summary" property (the layer's soak: its seed and counts)
    # show it here, also when run by pytest-xdist workers.
    for key in ("passed", "failed"):
        for report in terminalreporter.stats.get(key, []):
            for name, value in getattr(report, "user_properties", ()):
                if name == "summary" and report.when == "call":
                    terminalreporter.write_line(str(value))
