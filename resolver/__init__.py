"""envsolve: solve compatible GPU deep-learning environments and write them down."""

__version__ = "0.1.0"
