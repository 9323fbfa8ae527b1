"""`python -m synth ...` is the `synth` command; under torchrun it runs once per rank:

    python -m synth run "dup mul" --input "[3]"
    torchrun --nproc_per_node 2 -m synth search --io datasets/public/small.jsonl   # tasks split over ranks
"""
import sys

from .cli import main

sys.exit(main())
