"""The `warpdb` command: an interactive SQL shell (the default subcommand) and its pieces."""
