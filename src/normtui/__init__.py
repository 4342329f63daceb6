"""normtui: watch input normalization and activation choice decide how a dense network trains."""

__version__ = "0.1.0"
