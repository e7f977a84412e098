"""Training side of the action recogniser: dataset, features, model, training loop."""
