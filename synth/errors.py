"""User-facing errors: the CLI prints them as one line `synth: error: ...` and exits with status 2."""


class UserError(ValueError):
    """A mistake in the user's input (file, flag, option); the message says what to fix."""
