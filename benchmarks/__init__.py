"""Benchmarks of adjnets against PyTorch (CPU, eager) and JAX (CPU, jit): ``python -m benchmarks``.

Not tests: nothing in the test suite imports this package or depends on timing. The results go
to ``benchmarks/results.json``, which the performance appendix of the book reads.
"""
