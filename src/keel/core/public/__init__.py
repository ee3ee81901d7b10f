"""Pure logic of the anonymous public pages (issue #4). Nothing here stores or logs anything."""
