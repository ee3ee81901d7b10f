"""Review 31b: privacy and security holes, one failing test each (HOLES.md)."""
