"""Training: run directory, two-phase fine-tuning, optimisers and schedules, precision, the training run."""
