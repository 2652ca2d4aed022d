"""Data: CSV files, the bundled samples and the generators, each a Dataset; windows cut from it.

``reading`` (load_csv) and ``cleaning`` turn files into a Dataset (``dataset``); ``samples`` and
``generators`` make the others; ``sources`` is the one way in by name; ``windows`` splits a Dataset
in time and cuts it into scaled windows.
"""

from rnncore.data.dataset import Dataset, SequenceSet, describe, infer_period
from rnncore.data.generators import generate, generator_bounds, generator_params, list_generators
from rnncore.data.reading import MAX_BYTES, load_csv
from rnncore.data.samples import list_samples, load_sample, sample_description
from rnncore.data.sources import load_source
from rnncore.data.windows import Split, Windows, make_windows
from rnncore.errors import DataError, Note

__all__ = ["MAX_BYTES", "DataError", "Dataset", "Note", "SequenceSet", "Split", "Windows", "describe", "generate",
           "generator_bounds", "generator_params", "infer_period", "list_generators", "list_samples", "load_csv",
           "load_sample", "load_source", "make_windows", "sample_description"]
