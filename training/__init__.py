"""Training side of the action recogniser: dataset, features, model, training loop."""

from training.errors import quiet_interrupts_while_starting

quiet_interrupts_while_starting()
