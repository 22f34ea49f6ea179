"""The `poc` command line: `main` builds one argparse parser from the command modules here."""
