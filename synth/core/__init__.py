"""Shared core: one transformer, probability paths + losses + ODE solvers, one training loop.

    from synth.core import Transformer, TransformerConfig, make_path, path_loss, integrate, TrainConfig, fit
"""
from .losses import path_loss, regression_loss
from .paths import PATHS, SCHEDULES, LinearPath, PathSample, VPPath, make_path, sample_t
from .positions import sinusoidal_table
from .solvers import METHODS, integrate
from .train import FitResult, TrainConfig, fit, load_checkpoint, seed_everything, step_generator
from .transformer import AttnIntervention, Transformer, TransformerConfig

__all__ = [
    "Transformer", "TransformerConfig", "AttnIntervention", "sinusoidal_table",
    "PATHS", "SCHEDULES", "LinearPath", "VPPath", "PathSample", "make_path", "sample_t",
    "path_loss", "regression_loss", "METHODS", "integrate",
    "TrainConfig", "FitResult", "fit", "load_checkpoint", "seed_everything", "step_generator",
]
