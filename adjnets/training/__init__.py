"""Every training loop and optimiser of the book, in one place.

* :mod:`~adjnets.training.loops`: minibatch gradient descent for the feedforward
  networks, built from the one-step algorithms of chapters 3 and 4;
* :mod:`~adjnets.training.recurrent`: BPTT minibatch training and online RTRL for the
  recurrent networks of chapter 5;
* :mod:`~adjnets.training.optim`: first-order optimisers over parameter trees (momentum,
  Nesterov, AdaGrad, Adam).
"""

from adjnets.training import loops, optim, recurrent

__all__ = ["loops", "optim", "recurrent"]
