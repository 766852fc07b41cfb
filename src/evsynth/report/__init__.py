"""See docs and ../DESIGN.md for this layer."""
