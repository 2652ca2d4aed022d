"""One person's workbench (``workbench.Lab``): the data, the runs going and done, scenarios and comparisons."""

from rnncore.lab.workbench import Lab

__all__ = ["Lab"]
