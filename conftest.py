"""pytest set-up shared by tests/ and sim/.

Test files are imported with ``--import-mode=importlib`` (``tests/`` mirrors the packages, so
test files in different folders share base names). Helpers live in the ``verif`` package,
installed with the project: nothing is added to ``sys.path``.
"""
