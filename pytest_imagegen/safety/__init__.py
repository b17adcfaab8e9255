"""What keeps secrets and megabytes off disk: redaction, credential shapes, image placeholders, the text
inside images, the leak scan, and the normalization of volatile values.

Pure: interactions (plain data) in, cleaned interactions and findings out; no pytest, no HTTP library, no
file I/O. Everything the plugin writes (cassettes, snapshots, caches, error messages) passes through here.
"""
