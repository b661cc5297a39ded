"""Every data set of the book, in one place.

* :mod:`~adjnets.data.digits`: the handwritten digits (bundled, ``digits.npz``) and the
  tangent vectors of small image transformations;
* :mod:`~adjnets.data.synthetic`: small synthetic sets for chapter 3 (a noisy curve, two
  moons, two spirals);
* :mod:`~adjnets.data.sequences`: synthetic sequences for chapter 5 (a kicked
  oscillator, delayed recall, the adding problem).
"""

from adjnets.data import digits, sequences, synthetic

__all__ = ["digits", "sequences", "synthetic"]
