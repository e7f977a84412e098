"""Live and recorded-video recognition: capture, pose, sliding window, overlay."""
