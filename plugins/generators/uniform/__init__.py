"""The ``uniform`` generator: i.i.d. uniform draws from the space, the baseline of every metric."""
