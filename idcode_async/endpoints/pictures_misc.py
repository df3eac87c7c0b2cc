"""Placeholder while the group is transcribed."""

__all__: list[str] = []
