"""A test kit for plugin authors: property checks every search space must pass.

Third-party spaces call it from their own tests::

    from archgen.testing import check_search_space
    def test_my_space():
        check_search_space(MySpace())

archgen's own test-suite runs it over every installed ``archgen.spaces``
entry point, so a newly declared space is checked the moment it is installed.
"""

from archgen.testing.search_space import check_search_space, require_shared_data, shared_data_path

__all__ = ["check_search_space", "require_shared_data", "shared_data_path"]
