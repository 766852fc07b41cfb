"""Records, duplicate links, blinded dual screening, conflicts and full-text decisions."""
