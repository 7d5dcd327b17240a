"""A test kit for plugin authors: the contract checks of every slot (spaces, generators, priors, predictors, searchers).

Third-party spaces call it from their own tests::

    from archgen.testing import check_search_space
    def test_my_space():
        check_search_space(MySpace())

archgen's own test-suite runs it over every installed ``archgen.spaces``
entry point, so a newly declared space is checked the moment it is installed.
"""

from archgen.testing.generator import check_generator
from archgen.testing.oracle import check_oracle
from archgen.testing.predictor import check_predictor
from archgen.testing.prior import check_prior, tiny_code_sequences
from archgen.data_files import shared_data_path
from archgen.testing.search_space import check_installed_space, check_search_space, require_shared_data
from archgen.testing.searcher import check_searcher

__all__ = [
    "check_generator",
    "check_installed_space",
    "check_oracle",
    "check_predictor",
    "check_prior",
    "check_search_space",
    "check_searcher",
    "require_shared_data",
    "shared_data_path",
    "tiny_code_sequences",
]
