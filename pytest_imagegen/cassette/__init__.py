"""The record/replay engine: cassette files, matching, transport stubs, record modes, age, drift, orphans."""
