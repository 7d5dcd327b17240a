"""``gin``: a GIN regressor over the space's graph form -- the usual strong baseline of NAS predictors.

The node embeddings come from the ``gin`` encoder plugin (loaded through the registry, so the
predictor composes the same encoder Arch-VQ uses), are summed over the real nodes of each graph
(sum pooling keeps GIN's injectivity on multisets, Xu et al. 2019), and an MLP maps the pooled
vector to the prediction. With ``pretrain``, the encoder starts from weights pre-trained on the
unlabelled space (:mod:`archgen.plugins.predictors.pretraining`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import torch
from pydantic import BaseModel, Field
from torch import nn

import archgen
from archgen.architecture import Architecture
from archgen.protocols import SearchSpace
from archgen.plugins.predictors.pretraining import PretrainOptions, pretrained_encoder_state
from archgen.plugins.predictors.regression import NeuralRegressor, RegressorOptions, mlp_head
from archgen.runtime import Runtime


class GINPredictorOptions(RegressorOptions):
    """Options of the ``gin`` predictor (training options: :class:`RegressorOptions`).

    Attributes:
        hidden_dims: Width of each GIN layer of the encoder.
        embedding_dim: Width of the encoder's node embeddings.
        head_hidden: Width of the MLP head's hidden layer.
        pretrain: Pre-training of the encoder on the unlabelled space before the labels are
            fitted (:class:`~archgen.plugins.predictors.pretraining.PretrainOptions`; off by default).
    """

    hidden_dims: list[Annotated[int, Field(ge=1, le=4096)]] = Field(default_factory=lambda: [64, 64, 64], min_length=1, max_length=32)
    embedding_dim: int = Field(64, ge=1, le=4096)
    head_hidden: int = Field(64, ge=1, le=4096)
    pretrain: PretrainOptions = Field(default_factory=PretrainOptions)


class _GINRegressor(nn.Module):
    def __init__(self, encoder: nn.Module, head_hidden: int):
        super().__init__()
        self.encoder = encoder
        self.head = mlp_head(encoder.out_dim, head_hidden)

    def forward(self, adjacency: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        nodes = self.encoder(adjacency, ops)
        real = (ops.sum(-1, keepdim=True) > 0).to(nodes.dtype)  # padded nodes have no op
        return self.head((nodes * real).sum(1)).squeeze(-1)


class GINPredictor(NeuralRegressor):
    """GIN encoder + sum pooling + MLP, trained by :class:`NeuralRegressor`."""

    Options: ClassVar[type[BaseModel]] = GINPredictorOptions
    TEST_OPTIONS: ClassVar[dict] = {"hidden_dims": [16], "embedding_dim": 8, "head_hidden": 8, "epochs": 3, "batch_size": 64}

    def __init__(self, options: GINPredictorOptions | None = None):
        super().__init__(options or GINPredictorOptions())
        self._pretrained: dict[str, torch.Tensor] | None = None

    def featurize(self, space: SearchSpace, archs: Sequence[Architecture]) -> tuple[torch.Tensor, ...]:
        adjacency, ops = space.to_tensors(list(archs))
        return adjacency.float(), ops.float()

    def _encoder_config(self, space: SearchSpace) -> dict[str, Any]:
        o = self.options
        return {"input_dim": len(space.op_vocabulary), "hidden_dims": list(o.hidden_dims), "out_dim": o.embedding_dim}

    def prepare(self, space: SearchSpace, runtime: Runtime) -> dict[str, Any]:
        """Pre-trains the encoder (or reads it from the cache) when ``pretrain`` asks for it."""
        self._pretrained = None
        options = self.options.pretrain
        if options.objective == "off":
            return {"pretrain": "off"}
        config = self._encoder_config(space)
        self._pretrained, meta = pretrained_encoder_state(
            space, lambda: archgen.load("encoder", "gin", **config), config, options, forms=self.forms, runtime=runtime
        )
        return {"pretrain": {key: meta[key] for key in ("objective", "architectures", "seconds", "cached", "path") if key in meta}}

    def build_model(self, space: SearchSpace) -> nn.Module:
        encoder = archgen.load("encoder", "gin", **self._encoder_config(space))
        if self._pretrained is not None:
            encoder.load_state_dict(self._pretrained)
        return _GINRegressor(encoder, self.options.head_hidden)
