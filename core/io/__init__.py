"""Reading untrusted data files safely: one reader per kind of file.

Every reader names the file in a one-line :class:`archgen.errors.DataFileError`
when the content is missing, truncated, corrupt or refused, so a space never
wraps a raw ``OSError``/``zlib.error``/``UnpicklingError`` itself.

* :mod:`archgen.io.restricted_pickle` -- pickles and ``torch.save`` files
  without running code (an allow-list unpickler; ``torch.load(weights_only=True)``);
* :mod:`archgen.io.checked_npz` -- ``.npz`` caches that carry their own checksum;
* :mod:`archgen.io.cache` -- the per-user cache folder (``$XDG_CACHE_HOME/archgen``);
* :mod:`archgen.io.gzip_csv` -- CSV files, gzipped or plain, told apart by content;
* :mod:`archgen.io.module_checkpoint` -- model plugins' torch module checkpoints (header-checked).
"""

from archgen.io.cache import cache_dir
from archgen.io.checked_npz import load_checked_npz, save_checked_npz
from archgen.io.gzip_csv import read_csv_records, read_csv_rows
from archgen.io.restricted_pickle import RefusedPickleError, load_pickle, load_torch, safe_unpickle

__all__ = [
    "RefusedPickleError",
    "cache_dir",
    "load_checked_npz",
    "load_pickle",
    "load_torch",
    "read_csv_records",
    "read_csv_rows",
    "safe_unpickle",
    "save_checked_npz",
]
