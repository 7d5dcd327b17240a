"""The searched AutoFormer-T/S/B subnets as released.

Source: microsoft/Cream, ``AutoFormer/experiments/subnet/AutoFormer-{T,S,B}.yaml``
(``RETRAIN`` section); the same lists are in NNI's
``nni/nas/hub/pytorch/autoformer.py`` (``AutoFormer.load_searched_model``).
Published sizes (AutoFormer paper abstract, arXiv 2107.00651, and the Cream
README model zoo): 5.7M / 22.9M / 53.7M parameters; NNI's README reports
5.8M / 22.9M / 53.7M for its port.

AutoFormer-T is *not* a member of the release's tiny space: layers 3, 5 and 6
use MLP ratio 3.0, which ``supernet-T.yaml`` does not offer (see
:mod:`archgen.spaces.autoformer.ranges`).
"""

from __future__ import annotations

from archgen.spaces.autoformer.native import SubnetConfig

AUTOFORMER_T = SubnetConfig(
    embed_dim=192,
    depth=13,
    mlp_ratio=(3.5, 3.5, 3.0, 3.5, 3.0, 3.0, 4.0, 4.0, 3.5, 4.0, 3.5, 4.0, 3.5),
    num_heads=(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3),
)

AUTOFORMER_S = SubnetConfig(
    embed_dim=384,
    depth=13,
    mlp_ratio=(3.0, 3.5, 3.0, 3.5, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 3.5, 4.0),
    num_heads=(6, 6, 5, 7, 5, 5, 5, 6, 6, 7, 7, 6, 7),
)

AUTOFORMER_B = SubnetConfig(
    embed_dim=576,
    depth=14,
    mlp_ratio=(3.5, 3.5, 4.0, 3.5, 4.0, 3.5, 3.5, 3.0, 4.0, 4.0, 3.0, 4.0, 3.0, 3.5),
    num_heads=(9, 9, 9, 9, 9, 10, 9, 9, 10, 9, 10, 9, 9, 10),
)

#: Size name -> published subnet.
PUBLISHED_SUBNETS: dict[str, SubnetConfig] = {"tiny": AUTOFORMER_T, "small": AUTOFORMER_S, "base": AUTOFORMER_B}
