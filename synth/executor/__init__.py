"""The student executor: a compact, fast latent state machine distilled from the evaluator, for the gradient search.

    from synth.executor import load_student, make_student_executor
    ev = load_student()                  # Evaluator API (encode, step, step_items, decode_states, loss_to_target,
                                         #   run_programs) over the shipped synth/pretrained/executor_small.pt
    ex = make_student_executor()         # synth.search.latent.Executor: plan / encode / rollout / loss

Model: synth.executor.student (StudentConfig, StudentMachine); training: synth.executor.distill
(`synth distill`); held-out scoring shared with the evaluator: synth.executor.evaluate.
"""
from .api import export, load_student, make_student_executor
from .student import StudentConfig, StudentMachine

__all__ = ["StudentConfig", "StudentMachine", "export", "load_student", "make_student_executor"]
