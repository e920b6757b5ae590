"""The rights requests: the Requests menu with its notice, and the register."""
