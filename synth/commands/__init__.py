"""One module per `synth` subcommand (see synth/cli.py)."""
