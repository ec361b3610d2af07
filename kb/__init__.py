"""kb: search and extractive question answering over a folder of web pages."""

__version__ = "0.1.0"
