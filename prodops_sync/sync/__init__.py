"""The remote-agnostic sync engine: configuration, state (the base), planning and apply."""
