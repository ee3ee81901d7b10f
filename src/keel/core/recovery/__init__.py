"""The recovery companion's pure parts (issue #7): check-in fields, progress arithmetic, CBT tools.

No Django, no clock, no I/O: callers pass `today` and the series. Early-warning flags live in
`keel.core.rules.early_warning` with the other rules.
"""
