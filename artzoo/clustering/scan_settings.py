"""The settings of SCAN (`artzoo.clustering.scan`), kept free of Keras so that parsing them stays light."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from artzoo.errors import ArtzooError


@dataclass(frozen=True)
class ScanSettings:
    neighbours: Optional[int] = None  # None: 1 % of the average cluster size, between 5 and 20
    entropy_weight: float = 5.0
    heads: int = 10
    hidden: int = 0
    dropout: float = 0.3
    noise: float = 0.0
    epochs: int = 50
    learning_rate: float = 1e-3
    batch_size: int = 256
    rounds: int = 1
    self_label_epochs: int = 20
    self_label_learning_rate: float = 1e-4
    threshold: float = 0.99

    def __post_init__(self):
        rules = (("--neighbours", self.neighbours, self.neighbours is None or self.neighbours >= 1, ">= 1"),
                 ("--entropy-weight", self.entropy_weight, self.entropy_weight >= 0, ">= 0"),
                 ("--heads", self.heads, self.heads >= 1, ">= 1"),
                 ("--hidden", self.hidden, self.hidden >= 0, ">= 0"),
                 ("--dropout", self.dropout, 0 <= self.dropout < 1, "in [0, 1)"),
                 ("--noise", self.noise, self.noise >= 0, ">= 0"),
                 ("--scan-epochs", self.epochs, self.epochs >= 1, ">= 1"),
                 ("--learning-rate", self.learning_rate, self.learning_rate > 0, "> 0"),
                 ("--batch-size", self.batch_size, self.batch_size >= 2, ">= 2"),
                 ("--rounds", self.rounds, self.rounds >= 0, ">= 0"),
                 ("--self-label-epochs", self.self_label_epochs, self.self_label_epochs >= 1, ">= 1"),
                 ("--threshold", self.threshold, 0 < self.threshold < 1, "in (0, 1)"))
        for name, value, ok, rule in rules:
            if not ok:
                raise ArtzooError(f"SCAN setting {name} {value} must be {rule}")
