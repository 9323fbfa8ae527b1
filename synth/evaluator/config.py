"""The evaluator's config: one dataclass whose defaults are the shipped model (synth/conf/evaluator/small.yaml).

    cfg = EvaluatorConfig()                          # the shipped evaluator
    cfg = config_from_meta(meta["model"], path)      # from a checkpoint (old keys: synth.core.removed)
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvaluatorConfig:
    """The shipped evaluator (synth/conf/evaluator/small.yaml == these defaults)."""
    d_model: int = 128
    n_heads: int = 4
    enc_layers: int = 2           # residual MLP blocks of the per-slot encoder
    trans_layers: int = 3
    mlp_ratio: float = 4.0
    elem_dim: int = 32            # per-element embedding width before the per-position projection
    dec_hidden: int = 256
    pos: str = "rotary"           # slot positions inside E and T (a core Transformer option)
    dropout: float = 0.0
    n_levels: int = 3             # concrete, sign, type
    alu_hidden: int = 1024        # width of the ALU, the wide MLP on the top operands that writes the new top
    alu_layers: int = 2           #   value and status
    alu_bilinear: int = 512       # rank of the ALU's bilinear path, (A x) * (B x) -> out: products of operand
                                  #   features (angle addition of periodic number features is bilinear)
    residues: list = field(default_factory=lambda: [3, 4, 5, 8, 16, 32])   # moduli m: D also predicts int
                                  #   values mod m, and the int logits of v add each head's logit of (v mod m)
                                  #   (see Decoder); [] = none
    residue_loss: float = 0.25    # weight of the residue heads' own cross-entropy

    def __post_init__(self) -> None:
        if self.enc_layers < 1 or self.trans_layers < 1:
            raise ValueError("enc_layers and trans_layers must be >= 1")
        if self.alu_hidden < 1 or self.alu_layers < 1 or self.alu_bilinear < 1:
            raise ValueError("alu_hidden, alu_layers and alu_bilinear must be >= 1")
        if self.elem_dim < 1 or self.dec_hidden < 1:
            raise ValueError("elem_dim and dec_hidden must be >= 1")
        if any(int(m) < 2 for m in self.residues) or len(set(self.residues)) != len(self.residues):
            raise ValueError(f"residues must be distinct moduli >= 2, got {list(self.residues)}")


# Options measured and removed from the code (experiments/results/removed.md); a checkpoint that stores one
# loads only with the value that is now the only behaviour.
REMOVED = {"elem_tokens": True, "alu_readout": True, "elem_copy": True, "list_readout": True, "rank_pointer": True,
           "elem_set": 0, "elem_fold": 0, "value_probe": 0.0}


def config_from_meta(d: dict, where: str = "checkpoint") -> EvaluatorConfig:
    """EvaluatorConfig from a checkpoint's stored dict (removed options: synth.core.removed)."""
    from ..config import from_dict
    from ..core.removed import drop_removed
    return from_dict(EvaluatorConfig, drop_removed(d, REMOVED, where))
