"""Build and maintenance scripts; a package so that tests can import their logic."""
