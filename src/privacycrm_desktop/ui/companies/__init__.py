"""Companies: the list with its search, the company card, and the company editor."""
