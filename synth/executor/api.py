"""The student executor as a library: load it, run it like the evaluator, hand it to the gradient search.

    ev = load_student()                        # the shipped synth/pretrained/executor_small.pt; or load_student(path)
    z = ev.encode([State((1,), (3,))])         # Z (B, S, C): S = 12 slot vectors of width C
    z = ev.step(z, w, level)                   # w (B, len(ev.ops)) a distribution over ops: one relaxed step
    ev.decode_states(z); ev.loss_to_target(z, [(3, 3)], match="top"); ev.run_programs(codes, inputs, consts)
    ex = make_student_executor()               # synth.search.latent.Executor over the student (the search's
                                               #   plan / encode / rollout / loss, exactly as for the evaluator)
    export("runs/executor/checkpoint.pt", "synth/pretrained/executor_small.pt", half=True)

`load_student` returns a `synth.evaluator.api.Evaluator` wrapping a frozen StudentMachine (it has the
evaluator's module interface), so every caller of the evaluator API can take the student instead.
"""
from __future__ import annotations

from pathlib import Path

from ..config import from_dict
from ..core.checkpoint import read_model
from ..core.train import load_checkpoint, save_atomic
from .distill import student_weights
from .student import KIND, StudentConfig, StudentMachine

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained" / "executor_small.pt"


def export(checkpoint: str | Path, out: str | Path, half: bool = False) -> Path:
    """Keep what inference needs (the student's weights, meta, step) of a `synth distill` checkpoint; `half`:
    float weights stored as float16 (loading casts them back to float32)."""
    st = load_checkpoint(checkpoint)
    model = student_weights(st["model"]) or st["model"]
    model = {k: v.half() if half and v.is_floating_point() else v for k, v in model.items()}
    save_atomic({"model": model, "meta": {**st["meta"], "half": half}, "step": st["step"]}, out)
    return Path(out)


def load_student(path: str | Path | None = None, device: str = "cpu"):
    """An Evaluator over a frozen StudentMachine from a checkpoint (training or exported); None: the shipped one."""
    from ..evaluator.api import Evaluator
    path, st, meta = read_model(path, PRETRAINED, KIND, "student executor", "distill", device)
    model = StudentMachine(from_dict(StudentConfig, meta["model"]), meta["profile"])
    weights = student_weights(st["model"]) or st["model"]
    own = model.state_dict()
    model.load_state_dict({k: v.to(own[k].dtype) if k in own else v for k, v in weights.items()})
    return Evaluator(model.to(device).freeze(), meta, int(st.get("step", 0)))


def make_student_executor(checkpoint: str | Path | None = None, **kw):
    """The gradient search's executor (synth.search.latent.Executor) over the student; kw as for Executor."""
    from ..search.latent import make_executor
    return make_executor("student", checkpoint, **kw)
