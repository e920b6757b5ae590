"""Least privilege on a shared PostgreSQL server: the roles, what each may do, and the server
functions that do what a desk role may not do itself.

- ``roles``: the roles of a database by name, and what a connection can tell about them;
- ``policy``: the table policy and the field matrix, turned into a plan of grants;
- ``grants``: setting the server up to enforce them (``enable``) and re-granting;
- ``logins``: the login roles of app users (SCRAM verifiers only);
- ``functions``: installing the server functions, with who may call each; their texts by
  job in ``caller_sql``, ``audit_sql``, ``sign_in_sql``, ``owner_sql``, ``data_sql`` and
  ``write_log``; the row-level rules in ``row_policies``.

Nothing is imported here: persistence/dialect.py asks ``roles`` whether a database has the
server functions, and ``functions`` builds on dialect's audit lock.
"""
