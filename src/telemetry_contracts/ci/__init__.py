"""Build-time enforcement: the command line, linters, code scanner and reporters."""
