"""Verification helpers shared by ``tests/``, ``sim/`` and ``bench/``.

* ``stimulus.py``: maps, stream beats and golden results (NumPy and ``golden/`` only);
* ``amaranth_streams.py``, ``haar_harness.py``, ``topk_harness.py``: drivers for the
  Amaranth simulator;
* ``cocotb_streams.py``, ``runner.py``: cocotb stream drivers and the pytest-to-cocotb runner.
"""
