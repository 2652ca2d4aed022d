"""The networks: explicit recurrent cells that expose every gate (``cells``) and the SequenceModel (``models``)."""

from rnncore.nn.models import SequenceModel, Trace, build_model

__all__ = ["SequenceModel", "Trace", "build_model"]
