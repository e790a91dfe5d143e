-- Schema version 5: wat sql runs its statement as a role that may only
-- read this schema, never as the role that owns the store (a read-only
-- transaction is not a sandbox: a superuser's SELECT reads the server's
-- files, and on Citus a function runs commands on the workers). wat
-- creates the role when the store's owner may create roles (see
-- ensureReader) and keeps its login here, where only the owner reads it.

CREATE TABLE wat_reader (
	role     text NOT NULL,
	password text NOT NULL
);

REVOKE ALL ON wat_reader FROM PUBLIC;
