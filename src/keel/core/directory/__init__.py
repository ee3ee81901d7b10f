"""The recovery directory's pure logic: feed parsing, distances, meeting times in their own time zones.

Feed formats: the Code for Recovery "Meeting Guide" JSON spec (meeting_types.json is its type list, MIT)
and BMLT's semantic API GetSearchResults JSON (NA meeting servers)."""
