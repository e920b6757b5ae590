"""Labels and letters for the post (issue 22)."""
