"""OFA's released accuracy predictor for ``ofa_mbv3_d234_e346_k357_w1.2`` subnets, in numpy.

The predictor is the 4-layer MLP (128 -> 400 -> 400 -> 400 -> 1, ReLU) of the
OFA tutorial; its output is the predicted top-1 accuracy (a fraction) on OFA's
10k-image ImageNet hold-out set. Its 128-D input (``spec2feats``) is

* 60 kernel one-hots: slot ``i`` -> entries ``3i .. 3i+2`` in the order 3, 5, 7;
* 60 expand one-hots: slot ``i`` -> entries ``60 + 3i ..`` in the order 3, 4, 6;
* 8 resolution one-hots at ``(r - 112) // 16``;

where slots beyond their stage's depth are all zero.

Source: github mit-han-lab/once-for-all, ``tutorial/accuracy_predictor.py`` at
commit 698a5c10 (``ofa/tutorial/accuracy_predictor.py`` later); the weights are
``tutorial/checkpoints/acc_predictor.pth`` of that commit, staged (with a numpy
copy) in ``../shared/data/ofa_mbv3/`` -- see its PROVENANCE.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from archgen.errors import DataFileError, InvalidArchitectureError
from archgen.io import load_torch
from archgen.spaces.mbv3.subnet import EXPAND_RATIOS, KERNEL_SIZES, NUM_SLOTS, Subnet, is_used

FEATURE_DIM = 128
RESOLUTION_BINS = 8
#: Resolutions the released predictor was trained on (the tutorial searches 160..224 in steps of 4).
TRAINED_RESOLUTIONS = range(160, 225, 4)
LAYER_KEYS = ("0", "2", "4", "6")
LAYER_SHAPES = ((400, 128), (400, 400), (400, 400), (1, 400))


def resolution_bin(resolution: int) -> int:
    """The resolution one-hot index ``(r - 112) // 16``.

    Raises:
        InvalidArchitectureError: If ``resolution`` falls outside the 8 bins (112..239).
    """
    valid_type = isinstance(resolution, int) and not isinstance(resolution, bool)
    index = (resolution - 112) // 16 if valid_type else -1
    if not 0 <= index < RESOLUTION_BINS:
        raise InvalidArchitectureError(
            f"resolution {resolution!r} has no bin in the OFA predictor's encoding; expected an int in 112..239 "
            f"(it was trained on 160..224 in steps of 4)"
        )
    return index


def encode(subnets: Sequence[Subnet], resolution: int) -> np.ndarray:
    """The predictor's 128-D features of ``subnets`` at ``resolution``.

    Args:
        subnets: Normalised subnets.
        resolution: Input image side (one for the whole batch).

    Returns:
        A ``[len(subnets), 128]`` float32 0/1 array.
    """
    features = np.zeros((len(subnets), FEATURE_DIM), dtype=np.float32)
    features[:, 2 * 3 * NUM_SLOTS + resolution_bin(resolution)] = 1.0
    for row, subnet in enumerate(subnets):
        for slot in range(NUM_SLOTS):
            if is_used(slot, subnet.d):
                features[row, 3 * slot + KERNEL_SIZES.index(subnet.ks[slot])] = 1.0
                features[row, 3 * NUM_SLOTS + 3 * slot + EXPAND_RATIOS.index(subnet.e[slot])] = 1.0
    return features


class AccuracyPredictor:
    """The released MLP, evaluated with numpy.

    Args:
        weights: ``{"0.weight": [400, 128], "0.bias": [400], ..., "6.bias": [1]}``
            (PyTorch ``Linear`` layout: ``y = x @ W.T + b``).

    Raises:
        DataFileError: If a tensor is missing or has the wrong shape.
    """

    def __init__(self, weights: dict[str, np.ndarray]):
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []
        for key, shape in zip(LAYER_KEYS, LAYER_SHAPES):
            try:
                weight = np.asarray(weights[f"{key}.weight"], dtype=np.float32)
                bias = np.asarray(weights[f"{key}.bias"], dtype=np.float32)
            except KeyError as error:
                raise DataFileError(
                    f"accuracy predictor lacks tensor {error.args[0]!r}; expected keys "
                    f"{[f'{k}.{p}' for k in LAYER_KEYS for p in ('weight', 'bias')]}"
                ) from None
            if weight.shape != shape or bias.shape != shape[:1]:
                raise DataFileError(
                    f"accuracy predictor layer {key} has weight {weight.shape} / bias {bias.shape}; "
                    f"expected {shape} / {shape[:1]}"
                )
            self.layers.append((weight, bias))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Predicted accuracies (fractions) for ``[B, 128]`` features; shape ``[B]``."""
        x = np.asarray(features, dtype=np.float32)
        for i, (weight, bias) in enumerate(self.layers):
            x = x @ weight.T + bias
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return x[:, 0].astype(np.float64)

    def predict(self, subnets: Sequence[Subnet], resolution: int) -> np.ndarray:
        """Predicted accuracies of ``subnets`` at ``resolution``."""
        return self(encode(subnets, resolution))


def load_predictor(path: str | Path) -> AccuracyPredictor:
    """Loads the predictor from the numpy copy (``.npz``) or the original ``.pth`` state dict.

    The ``.pth`` is read with :func:`archgen.io.load_torch` (``weights_only=True``);
    it is a legacy (non-zip) pickle of a plain state dict, which that loader accepts.

    Raises:
        DataFileError: If the file is missing, unreadable or not the predictor.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(
            f"accuracy predictor {str(path)!r} not found; expected acc_predictor.npz or acc_predictor.pth "
            "(see ../shared/data/ofa_mbv3/PROVENANCE.md)"
        )
    if path.suffix == ".pth":
        state = load_torch(path)
        try:
            weights = {key: value.numpy() for key, value in dict(state).items()}
        except (TypeError, ValueError, AttributeError) as error:
            raise DataFileError(
                f"cannot read accuracy predictor {str(path)!r}: not a state dict of tensors ({error})"
            ) from None
    else:
        try:
            with np.load(path, allow_pickle=False) as archive:
                weights = {key: archive[key] for key in archive.files}
        except Exception as error:  # noqa: BLE001 - any reader failure means a corrupt or foreign file
            raise DataFileError(
                f"cannot read accuracy predictor {str(path)!r} ({type(error).__name__}: {error}); "
                "expected the OFA tutorial's acc_predictor.npz or .pth"
            ) from None
    return AccuracyPredictor(weights)
