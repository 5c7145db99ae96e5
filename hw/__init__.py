"""Amaranth RTL of the WCC accelerator, one package per block of the data path.

``haar/`` (forward and inverse Haar units) -> ``requant.py`` (coefficients to int8) ->
``topk/`` (joint top-k selector) -> ``systolic/`` (int8 1x1 array) -> ``requant.py``
(accumulators, outputs); ``lib/`` holds what the blocks share. No block imports another
block's modules.
"""
