"""The `synth` command line: subcommands parsed here, each implemented in `synth/commands/<name>.py`.

    synth run "dup mul" --input "[3]"
    synth generate-data --out data/small --count 100000
    synth search --io datasets/examples/affine.json
    synth <command> --help

Each command module defines HELP (one line), `add_arguments(parser)` and `main(args) -> int`;
trailing `key=value` words are Hydra overrides, passed on as `args.overrides`. Heavy imports (torch)
happen only inside the commands that need them. User mistakes exit with status 2 and one line.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND: list[str] | None = None   # the arguments of the command being run
COMMANDS = {
    "run": "synth.commands.run",
    "generate-data": "synth.commands.generate_data",
    "search": "synth.commands.search",
    "bench": "synth.commands.bench",
    "train-evaluator": "synth.commands.train_evaluator",
    "eval-evaluator": "synth.commands.eval_evaluator",
    "distill": "synth.commands.distill",
    "train-field": "synth.commands.train_field",
    "eval-field": "synth.commands.eval_field",
    "inspect": "synth.commands.inspect",
    "train-guide": "synth.commands.train_guide",
    "info": "synth.commands.info",
}


def _module(name: str):
    try:
        return importlib.import_module(COMMANDS[name])
    except ModuleNotFoundError as e:
        if e.name == COMMANDS[name]:
            return None
        raise


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`synth search: error: ...`, exit 2): no usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("synth")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """--version, with the version looked up only when asked (importlib.metadata costs every command 10 ms)."""

    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"synth {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="synth",
        description="Neural program synthesis on a small stack language (see README.md). "
                    "Hydra overrides go after the flags as key=value.")
    ap.add_argument("--version", action=_VersionAction)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = _module(name)
        if mod is None:
            continue
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "__doc__", None) or mod.HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.epilog = "Trailing key=value words are Hydra config overrides (e.g. train.steps=100)."
        p.set_defaults(_main=mod.main)
    return ap


def main(argv: list[str] | None = None) -> int:
    from dsl import DslSyntaxError, TaskError

    from .errors import UserError

    global COMMAND
    COMMAND = list(sys.argv[1:] if argv is None else argv)   # recorded in training checkpoints (core/provenance.py)
    ap = build_parser()
    args, rest = ap.parse_known_args(argv)
    overrides = [w for w in rest if "=" in w and not w.startswith("-")]
    unknown = [w for w in rest if w not in overrides]
    if unknown:
        ap.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.overrides = overrides
    if not getattr(args, "_main", None):
        ap.print_help(sys.stderr)
        return 2
    try:
        return int(args._main(args) or 0)
    except (UserError, TaskError, DslSyntaxError) as e:
        print(f"synth: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `synth run --file f | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("synth: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
