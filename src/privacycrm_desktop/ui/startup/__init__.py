"""Before and around the work: first run, signing in, the database choice, start-up
safety, the interface language and the idle lock."""
