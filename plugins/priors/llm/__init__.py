"""The ``llm`` prior (arch-llm.md section 3.2): a Hugging Face language model over VQ code sequences as text.

``transformers`` is imported by this package only, and only when a model is built, so
installing archgen without the ``llm`` extra costs nothing until this prior is chosen.
"""
