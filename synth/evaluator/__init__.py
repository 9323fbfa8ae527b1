"""The evaluator: a latent state machine that runs stack programs in latent space (DESIGN "The evaluator").

Public API (for the gradient search and the field model):

    from synth.evaluator import load_evaluator, State
    ev = load_evaluator(path=None)         # None: the shipped default for `small` (synth/pretrained/)
    ev.profile, ev.ops                     # dsl Profile; op names in the order of the soft weights
    z = ev.encode(states, level=0)         # [State(constants, stack, error)] -> Z (B, T, C); level 0/1/2 or
                                           #   "concrete"/"sign"/"type" (abstract values as in dsl.abstract)
    z = ev.step(z, op_weights, level=0)    # op_weights (B, len(ev.ops)), a distribution: the op embeddings
                                           #   are mixed, one transition; differentiable in z and the weights;
                                           #   level may also be a (B,) float tensor alpha in [0, 1]
    z = ev.step_items(z, items, level=0)   # one discrete item per row (op name, or a literal as a 1-tuple)
    logits = ev.decode(z)                  # dict: status (B, V) and per value slot kind/int/sign/par/bool/len
                                           #   (B, S-1, V), elem (B, S-1, L, V)  (synth.data.tokenizer layout)
    ev.decode_states(z, level=0)           # -> [State]
    loss = ev.loss_to_target(z, targets, level=0, match="exact"|"top")   # (B,) differentiable CE
    ev.run_programs(codes, inputs, constants)                             # whole programs -> [State]

Z layout: T = S slot latents (status, constants c0.., stack top first; synth.data.tokenizer), then
(S-1) x max_len element latents (slot-major); `ev.model.n_tokens` is T.
Stack effects of ops are built into T's routing (dsl.ops signatures); values and errors are learned. Training: synth.evaluator.train
(`synth train-evaluator`); evaluation: `synth eval-evaluator`. Literal items are pushes: a transition with
the op `push` conditioned on the literal's slot embedding (not available to the soft `step`). Errors are
absorbing states; the failing index `at` is not predicted.
"""
from ..data.tokenizer import State
from .api import Evaluator, export, load_evaluator
from .model import EvaluatorConfig, LatentMachine

__all__ = ["Evaluator", "EvaluatorConfig", "LatentMachine", "State", "export", "load_evaluator"]
