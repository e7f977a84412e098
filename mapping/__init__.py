"""Keypoint layouts and the MediaPipe (33 landmarks) -> COCO-17 mapping."""
