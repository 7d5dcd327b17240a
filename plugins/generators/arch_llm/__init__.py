"""Arch-LLM (arch-llm.md): the Arch-VQ composition with the ``llm`` language-model prior.

The generator lives in :mod:`archgen.plugins.generators.arch_llm.generator`. It reaches Arch-VQ only
through the registry (a nested ``generator`` choice), never by importing it.
"""
