"""Keel's framework-free core: clinical instruments, rules and measures as plain Python.

Nothing under keel.core may import Django, touch a database, do I/O or read the clock: values in, values
out, with the source of every clinical number named in the module that uses it. A test enforces this.
"""
