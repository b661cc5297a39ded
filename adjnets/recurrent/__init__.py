"""The recurrent networks of thesis chapter 5, and the variants it leaves as future
work.

* :mod:`~adjnets.recurrent.rnn`: the generic RNN and the vanilla RNN, BPTT and RTRL
  (sections 5.1 and 5.2), and the higher-order loss for RNNs;
* :mod:`~adjnets.recurrent.gated`: the GRU and the LSTM (section 5.3.1);
* :mod:`~adjnets.recurrent.variants`: deep transitions and bidirectional RNNs (5.3);
* :mod:`~adjnets.recurrent.analysis`: how far back a loss's gradient reaches.
"""

from adjnets.recurrent import analysis, gated, rnn, variants

__all__ = ["analysis", "gated", "rnn", "variants"]
