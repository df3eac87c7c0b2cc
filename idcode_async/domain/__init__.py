"""The centre's domain rules as pure functions: identification codes (section 11), resolve
and landing URLs (sections 13–14), administrative regions (endpoint 101) and the page
callbacks of section 6.  Nothing here sends a request except ``RegionDirectory``, which reads
101 through a client it is given."""
