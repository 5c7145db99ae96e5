"""The WCC application: the ``wcc`` command line, real data, evaluation, demo and vectors.

It sits above the spec (``golden/``), the RTL (``hw/``) and the simulation (``sim/``) and may
import any of them; none of them imports it.
"""
