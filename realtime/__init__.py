"""Live and recorded-video recognition: capture, pose, sliding window, overlay."""

from training.errors import quiet_interrupts_while_starting

quiet_interrupts_while_starting()
