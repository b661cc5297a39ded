"""Part IV of the book, "Beyond the thesis": the future work of the thesis's chapter 6,
done in its own framework. Every result here is the book's own (numbered F.1.1, F.2.1,
...), not the thesis's.

* :mod:`~adjnets.beyond.subspace`: networks on a reduced subspace of their input
  (page F.1);
* :mod:`~adjnets.beyond.manifold`: parameters on a manifold, Riemannian gradient
  descent on the Stiefel manifold and the orthogonal group (page F.2);
* :mod:`~adjnets.beyond.uncertainty`: the Laplace approximation through
  Gauss-Newton products, and dropout as a random linear map (page F.3);
* :mod:`~adjnets.beyond.ntk`: the empirical neural tangent kernel and its
  infinite-width limit (page F.4).
"""

from adjnets.beyond import manifold, ntk, subspace, uncertainty

__all__ = ["manifold", "ntk", "subspace", "uncertainty"]
