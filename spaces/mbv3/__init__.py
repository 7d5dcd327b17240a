"""Once-for-All's MobileNetV3 search space (``mbv3``): space, layer plan, counters, model and OFA oracles."""
