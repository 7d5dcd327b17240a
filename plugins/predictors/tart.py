"""``tart``: TART, the Token-based Architecture Transformer (arXiv:2501.02007).

An architecture becomes Laplacian-eigenvector tokens (:mod:`archgen.plugins.predictors.lap_tokens`:
one token per node and per edge, node features compressed to ``df = 1``, ``dp = 3`` eigenvector
dimensions, type identifiers), a standard transformer encoder (6 layers in the paper) reads them,
and a fully connected head maps the graph token's output to the prediction. Tokens are computed
once per fit (one batched ``eigh``); each training step re-draws the eigenvectors' signs.

The defaults are the paper's (``df = 1``, ``dp = 3``, sign flips). They suit DeepNets-1M, whose graphs
differ, and not a cell space whose graphs are all one graph with different ops (NB201's node form):
there the eigenvectors are the same for every cell and say only *which position* a node holds. The
first three are a near-constant vector and a doubly degenerate pair (eigenvalue 0.566); the pair tells
the 8 positions apart, but flipping its signs maps positions onto each other (the input node's
code becomes node 1's), so sign-flip training teaches the model to ignore position. What matters most
is the op itself: one number per op (``df = 1``) is a poor code for it, so ``features = "onehot"``
gives each op its whole one-hot, and ``dp = 8`` with ``sign_flip = false`` fixes the positions
(Kendall τ of each setting: docs/results/predictors.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import torch
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from torch import nn

from archgen.architecture import Architecture
from archgen.protocols import SearchSpace
from archgen.plugins.predictors.lap_tokens import flip_signs, token_width, tokenize
from archgen.plugins.predictors.regression import NeuralRegressor, RegressorOptions, mlp_head


class TARTOptions(RegressorOptions):
    """Options of the ``tart`` predictor (training options: :class:`RegressorOptions`).

    Attributes:
        dp: Laplacian eigenvector dimensions per token (paper: 3).
        layers: Transformer encoder layers (paper: 6).
        heads: Attention heads.
        d_model: Width of the token embeddings.
        dropout: Dropout inside the encoder while training.
        sign_flip: Random eigenvector signs while training.
        features: Node features in the tokens: ``"index"`` (TART's ``df = 1``) or ``"onehot"``
            (``df`` = the space's vocabulary size).
    """

    dp: int = Field(3, ge=1, le=64)
    layers: int = Field(6, ge=1, le=64)
    heads: int = Field(4, ge=1, le=64)
    d_model: int = Field(64, ge=4, le=4096)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    sign_flip: bool = True
    features: Literal["index", "onehot"] = "index"

    @field_validator("d_model")
    @classmethod
    def _heads_divide_d_model(cls, d_model: int, info: ValidationInfo) -> int:
        heads = info.data.get("heads")
        if heads is not None and d_model % heads:
            raise ValueError(f"d_model {d_model} must be a multiple of heads {heads}")
        return d_model


class _TokenTransformer(nn.Module):
    def __init__(self, o: TARTOptions, df: int):
        super().__init__()
        self.embed = nn.Linear(token_width(o.dp, df), o.d_model)
        layer = nn.TransformerEncoderLayer(
            o.d_model, o.heads, dim_feedforward=2 * o.d_model, dropout=o.dropout, batch_first=True, norm_first=True
        )
        # The nested-tensor fast path changes float rounding with the batch's padding; predictions
        # must not depend on which other architectures share the batch.
        self.encoder = nn.TransformerEncoder(layer, o.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(o.d_model)
        self.head = mlp_head(o.d_model, o.d_model)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(self.embed(tokens), src_key_padding_mask=~mask)
        return self.head(self.norm(hidden[:, 0])).squeeze(-1)  # token 0 is the graph token


class TARTPredictor(NeuralRegressor):
    """LAP tokens + transformer encoder + fully connected head, trained by :class:`NeuralRegressor`."""

    Options: ClassVar[type[BaseModel]] = TARTOptions
    TEST_OPTIONS: ClassVar[dict] = {"layers": 1, "d_model": 16, "heads": 2, "epochs": 3, "batch_size": 64}

    def __init__(self, options: TARTOptions | None = None):
        super().__init__(options or TARTOptions())

    def featurize(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[torch.Tensor, ...]:
        adjacency, ops = space.to_tensors(list(archs))
        lap = tokenize(adjacency.float(), ops.float(), self.options.dp, features=self.options.features)
        return lap.tokens, lap.mask

    def build_model(self, space: SearchSpace) -> nn.Module:
        return _TokenTransformer(self.options, len(space.op_vocabulary) if self.options.features == "onehot" else 1)

    def forward(self, model: nn.Module, batch: tuple[torch.Tensor, ...], generator: torch.Generator | None) -> torch.Tensor:
        tokens, mask = batch
        if generator is not None and self.options.sign_flip:
            tokens = flip_signs(tokens, self.options.dp, generator, tokens.shape[-1] - token_width(self.options.dp, 0))
        # Trim the edge slots no graph of this batch uses, so a batch costs what its graphs need.
        used = int(mask.sum(0).nonzero().max()) + 1
        return model(tokens[:, :used], mask[:, :used])
