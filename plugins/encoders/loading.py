"""Loading an encoder sized for a space: the sizes a generator fills in, so a user never writes them."""

from __future__ import annotations

from torch import nn

from archgen.protocols import SearchSpace
from archgen.registry import PluginChoice, load, plugin_class


def load_encoder(choice: PluginChoice, space: SearchSpace, out_dim: int) -> nn.Module:
    """Loads ``choice`` with ``input_dim`` (the op vocabulary), ``out_dim`` and, where the encoder's
    ``Options`` declare it, ``max_nodes`` (for encoders that can use node positions) set from ``space``.

    Args:
        choice: The configured encoder plugin and options.
        space: The space whose graphs it will encode.
        out_dim: Width of each node embedding.
    """
    sizes = {"input_dim": len(space.op_vocabulary), "out_dim": out_dim}
    if "max_nodes" in plugin_class("encoder", choice.name).Options.model_fields:
        sizes["max_nodes"] = space.max_nodes
    return load("encoder", choice.name, **{**choice.options, **sizes})
