"""The duplicate review and the merge of contacts (issue 21)."""
