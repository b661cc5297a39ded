"""Benchmarks of adjnets against PyTorch (CPU, eager) and JAX (CPU, jit): ``python -m benchmarks``.

Not tests: nothing in the test suite depends on timing, and it imports only ``benchmarks.page``
(no PyTorch or JAX). The results go to ``benchmarks/results.json``, and a copy of them into the
performance appendix of the book (``benchmarks/page.py``), which shows them.
"""
