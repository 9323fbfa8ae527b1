"""The student executor: a compact, fast latent state machine distilled from the evaluator, for the gradient search.

    from synth.executor import load_student, make_student_executor
    ev = load_student()                  # Evaluator API (encode, step, step_items, decode_states, loss_to_target,
                                         #   run_programs) over the shipped synth/pretrained/executor_small.pt
    ex = make_student_executor()         # synth.search.latent.Executor: plan / encode / rollout / loss

Switching the gradient search to it (a hook in synth/search/latent.py, not made here: that file is another's):
    EXECUTORS = ("evaluator", "field", "student")
    if kind == "student":                                     # in make_executor
        from ..executor import load_student
        return Executor(load_student(checkpoint), None, **kw)
then `synth search --method gradient gradient.executor=student` (checkpoint None: the shipped student). Shapes
as for the evaluator, smaller: Z (R E, 12, 64) instead of (R E, 78, 128); w (R E, L, V) item distributions.

Model: synth.executor.student (StudentConfig, StudentMachine); training: synth.executor.distill
(`synth distill`); held-out scoring shared with the evaluator: synth.executor.evaluate.
"""
from .api import export, load_student, make_student_executor
from .student import StudentConfig, StudentMachine

__all__ = ["StudentConfig", "StudentMachine", "export", "load_student", "make_student_executor"]
