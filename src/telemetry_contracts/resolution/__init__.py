"""Reading contract files and resolving them into snapshots: the library under every command."""
