"""digindex: tooling for the composite-index warehouse (CLI, generators, gate, publication)."""
