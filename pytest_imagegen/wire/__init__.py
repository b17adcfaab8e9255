"""HTTP messages as plain data: bodies parsed into the cassette's BODY dicts and rendered back, headers.

Pure: bytes and dicts in, bytes and dicts out; no I/O. Shared by ``safety`` (which walks the bodies),
the cassette engine (which stores and replays them) and the snapshot extension.
"""
