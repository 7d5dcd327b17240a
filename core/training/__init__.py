"""Training: the shared epoch loop, early stopping and data parallelism (see :mod:`archgen.training.loop`)."""

from archgen.training.early_stopping import EarlyStopping
from archgen.training.loop import Callback, Step, TrainResult, train_epochs

__all__ = ["Callback", "EarlyStopping", "Step", "TrainResult", "train_epochs"]
