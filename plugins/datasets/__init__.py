"""Datasets: labelled images in fixed train / valid / test splits, for oracles that train networks.

Each plugin satisfies :class:`archgen.protocols.Dataset` (``name``, ``num_classes``,
``input_shape``, ``split(which)`` and ``describe()``) and is declared in the entry-point group
``archgen.datasets``:

* ``digits`` (:mod:`.digits`): scikit-learn's bundled 8x8 handwritten digits, offline; resized
  and copied to three channels on request.
* ``cifar10`` and ``cifar100`` (:mod:`.cifar`): the CIFAR pickles from a folder in torchvision's
  layout, read without torchvision.
* ``image_folder`` (:mod:`.image_folder`): class folders of image files (torchvision's
  ``ImageFolder`` layout), decoded one item at a time.

What they share -- seeded splits, the item transform (augmentation and normalisation), the
in-memory split and the ``describe()`` record -- is :mod:`.splits`. Nothing is read from disk
until the first ``split()`` or ``describe()``; a split's random augmentation draws from torch's
global generator, so a seeded single-process loader is deterministic.
"""
