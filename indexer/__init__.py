"""Indexer: load, clean, chunk and write a corpus folder into the kb index."""
