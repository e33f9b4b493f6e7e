"""A synthetic council: every agency's extract, in its native format, with the ground truth.

``synthesise(children=..., seed=..., out_dir=...)`` writes the school census, CIN census,
SSDA903, SEN2, health, police and early-help extracts that a council's data team would
receive, plus ``truth/`` (which true child each record is, and the children's latent
circumstances). No real person is in it; NHS numbers come only from the test range.
"""

from wholechild.synth.generate import SynthSummary, synthesise

__all__ = ["SynthSummary", "synthesise"]
