"""Training: the shared epoch loop, early stopping and data parallelism (see :mod:`archgen.training.loop`)."""

from archgen.training.early_stopping import EarlyStopping
from archgen.training.loop import Callback, Step, TrainResult, train_epochs
from archgen.training.schedule import SCHEDULES, ScheduleName, lr_factor

__all__ = ["SCHEDULES", "Callback", "EarlyStopping", "ScheduleName", "Step", "TrainResult", "lr_factor", "train_epochs"]
