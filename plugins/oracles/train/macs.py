"""Multiply-accumulates of one forward pass, counted at the dataset's own input size.

A space's ``count_macs`` answers at the space's published input (224 px for MBV3); a training
oracle reports the cost of the network it trained, on its dataset's images, so it counts the
convolutions and linear layers of an actual forward pass with hooks.
"""

from __future__ import annotations

import torch
from torch import nn


def count_forward_macs(model: nn.Module, input_shape: tuple[int, int, int]) -> int:
    """Conv and linear multiply-accumulates of one image through ``model`` (eval mode, no grad).

    Args:
        model: The network (left in the mode it was in).
        input_shape: ``(channels, height, width)`` of one image.

    Returns:
        The MACs (OFA's ``count_net_flops`` convention: conv and linear layers, biases not counted).
    """
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1]
        total += output[0].numel() * (module.in_channels // module.groups) * kernel

    def linear_hook(module: nn.Linear, inputs: tuple[torch.Tensor, ...], _output: torch.Tensor) -> None:
        nonlocal total
        total += (inputs[0][0].numel() // module.in_features) * module.in_features * module.out_features

    handles = [module.register_forward_hook(conv_hook) for module in model.modules() if isinstance(module, nn.Conv2d)]
    handles += [module.register_forward_hook(linear_hook) for module in model.modules() if isinstance(module, nn.Linear)]
    was_training = model.training
    try:
        model.eval()
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return int(total)
