"""Regenerate the README's attention and ablation figures for the shipped evaluator.

    python experiments/inspect_figures.py                         # shipped default, datasets/heldout/
    python experiments/inspect_figures.py --checkpoint runs/evaluator/checkpoint.pt --limit 2000

Runs `synth inspect attention` and `synth inspect ablate` (both metrics: `programs`, as synth
eval-evaluator counts, on --limit evenly spaced records; `steps`, teacher-forced one-step, on --limit
steps) and copies every table and plot to experiments/figures/inspect_<name> (ablation tables of the
steps metric as inspect_steps_<name>), with both summaries in experiments/figures/inspect_summary.txt.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIG = ROOT / "experiments" / "figures"


def run(argv: list[str]) -> str:
    from synth.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    if code:
        raise SystemExit(f"synth {' '.join(argv)} exited {code}")
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", help="evaluator checkpoint (default: the shipped one)")
    ap.add_argument("--traces", help="held-out runs (default: datasets/heldout/*.jsonl)")
    ap.add_argument("--limit", type=int, default=0, help="held-out records / steps for ablate (0 = all)")
    args = ap.parse_args()
    flags = (["--checkpoint", args.checkpoint] if args.checkpoint else []) + (
        ["--traces", args.traces] if args.traces else [])
    FIG.mkdir(parents=True, exist_ok=True)
    import subprocess
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()
    texts = [f"checkpoint: {args.checkpoint or 'shipped default'}; traces: {args.traces or 'datasets/heldout/'}; "
             f"code: {head}\n"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, prefix in (
                ("attention", ["inspect", "attention"], "inspect_"),
                ("ablate (programs)", ["inspect", "ablate", f"limit={args.limit}", "metric=programs"], "inspect_"),
                ("ablate (steps)", ["inspect", "ablate", f"limit={args.limit}", "metric=steps"], "inspect_steps_")):
            out = Path(tmp) / name.split()[0] / prefix
            texts.append(f"== synth {' '.join(argv)}\n" + run(argv + flags + ["--out", str(out)]))
            for f in sorted(out.iterdir()):
                shutil.copy(f, FIG / (prefix + f.name))
                print(f"wrote {FIG / (prefix + f.name)}")
    (FIG / "inspect_summary.txt").write_text("\n".join(texts))
    print("\n".join(texts))


if __name__ == "__main__":
    main()
